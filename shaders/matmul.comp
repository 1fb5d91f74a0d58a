#version 460
// Batched matmul C = op(A) @ op(B), op = transpose when TA / TB is set.
// Tiled: a workgroup of 16x16 threads computes a BM x BN tile of C, each
// thread a TM x TN block of registers (rows ty + 16 r, columns tx + 16 c,
// so shared-memory reads are conflict-free and stores coalesced); A and B
// are staged through shared memory BK at a time, loaded so that
// neighbouring threads read neighbouring addresses whatever the
// transposes. Batch dims broadcast through per-operand batch strides.
// Record: c, a, b addrs; M; N; K; batches; batch rank; batch dims; a batch
// strides; b batch strides (in elements).
#include "common.glsl"

#ifndef TM
#define TM 4
#endif
#define TN TM
#define BM (16 * TM)
#define BN (16 * TN)
#define BK 8

layout(local_size_x = 256) in;
layout(constant_id = 0) const bool TA = false;
layout(constant_id = 1) const bool TB = false;

shared T As[BK][BM];
shared T Bs[BK][BN];

void main() {
    Params P = Params(pc.params);
    BufT C = BufT(addr_at(P, 0));
    BufT A = BufT(addr_at(P, 2));
    BufT B = BufT(addr_at(P, 4));
    uint M = P.w[6], N = P.w[7], K = P.w[8], batches = P.w[9], rb = P.w[10];
    const uint bd = 11u;
    uint lid = gl_LocalInvocationID.x;
    uint tx = lid % 16u, ty = lid / 16u;
    uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;

    for (uint z = gl_WorkGroupID.z; z < batches; z += gl_NumWorkGroups.z) {
        uint a0 = strided(P, z, rb, bd, bd + rb, 0);
        uint b0 = strided(P, z, rb, bd, bd + 2u * rb, 0);
        T acc[TM][TN];
        for (int r = 0; r < TM; ++r)
            for (int c = 0; c < TN; ++c) acc[r][c] = T(0);

        for (uint k0 = 0u; k0 < K; k0 += BK) {
            for (uint e = lid; e < BM * BK; e += 256u) {
                uint i, p;
                if (TA) { i = e % BM; p = e / BM; } else { p = e % BK; i = e / BK; }
                uint gi = row0 + i, gp = k0 + p;
                T v = T(0);
                if (gi < M && gp < K) v = A.v[a0 + (TA ? gp * M + gi : gi * K + gp)];
                As[p][i] = v;
            }
            for (uint e = lid; e < BK * BN; e += 256u) {
                uint j, p;
                if (TB) { p = e % BK; j = e / BK; } else { j = e % BN; p = e / BN; }
                uint gj = col0 + j, gp = k0 + p;
                T v = T(0);
                if (gj < N && gp < K) v = B.v[b0 + (TB ? gj * K + gp : gp * N + gj)];
                Bs[p][j] = v;
            }
            barrier();
            for (uint p = 0u; p < BK; ++p) {
                T ar[TM], br[TN];
                for (int r = 0; r < TM; ++r) ar[r] = As[p][ty + 16u * uint(r)];
                for (int c = 0; c < TN; ++c) br[c] = Bs[p][tx + 16u * uint(c)];
                for (int r = 0; r < TM; ++r)
                    for (int c = 0; c < TN; ++c) acc[r][c] += ar[r] * br[c];
            }
            barrier();
        }
        uint c0 = z * M * N;
        for (int r = 0; r < TM; ++r) {
            uint gi = row0 + ty + 16u * uint(r);
            if (gi >= M) continue;
            for (int c = 0; c < TN; ++c) {
                uint gj = col0 + tx + 16u * uint(c);
                if (gj < N) C.v[c0 + gi * N + gj] = acc[r][c];
            }
        }
    }
}
