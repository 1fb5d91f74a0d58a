#version 460
// float32 batched matmul C = op(A) @ op(B) with 16-byte loads and stores:
// matmul.comp's tiling, for operands whose rows the host has checked are
// whole vec4s (the dim each operand is read along and N are multiples of 4,
// every address 16-byte aligned). A tile edge then never splits a vec4, so
// one bounds test covers four elements.
//
// A workgroup of 16x16 threads computes a BM x BN tile of C; a thread owns
// H x H blocks of 4x4: rows 4 ty + 64 h + i and columns 4 tx + 64 h + j.
// So each shared-memory read is a vec4, the 16 threads of a row read 16
// neighbouring vec4s, and each thread stores whole vec4 rows of C.
// Record: as matmul.comp.
#include "common.glsl"

layout(buffer_reference, std430, buffer_reference_align = 16) buffer BufV4 { vec4 v[]; };

#ifndef H
#define H 2
#endif
#define TM (4 * H)
#define BM (64 * H)
#define BN BM
#define BK 8
// vec4s per tile row of As / Bs; As has one vec4 of padding per row, so
// the transposing stores of a warp fall in different banks.
#define AW (BM / 4)
#define BW (BN / 4)

layout(local_size_x = 256) in;
layout(constant_id = 0) const bool TA = false;
layout(constant_id = 1) const bool TB = false;

shared vec4 As[BK][AW + 1];
shared vec4 Bs[BK][BW + 1];

void main() {
    Params P = Params(pc.params);
    BufV4 C = BufV4(addr_at(P, 0));
    BufV4 A = BufV4(addr_at(P, 2));
    BufV4 B = BufV4(addr_at(P, 4));
    uint M = P.w[6], N = P.w[7], K = P.w[8], batches = P.w[9], rb = P.w[10];
    const uint bd = 11u;
    uint lid = gl_LocalInvocationID.x;
    uint tx = lid % 16u, ty = lid / 16u;
    uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;

    for (uint z = gl_WorkGroupID.z; z < batches; z += gl_NumWorkGroups.z) {
        // Element offsets, multiples of 4 (the host checks it).
        uint a0 = strided(P, z, rb, bd, bd + rb, 0);
        uint b0 = strided(P, z, rb, bd, bd + 2u * rb, 0);
        vec4 acc[TM][H];
        for (int r = 0; r < TM; ++r)
            for (int h = 0; h < H; ++h) acc[r][h] = vec4(0);

        for (uint k0 = 0u; k0 < K; k0 += BK) {
            for (uint e = lid; e < BM * BK / 4u; e += 256u) {
                if (TA) {
                    // A is K x M: a vec4 is four rows of C at one k.
                    uint q = e % AW, p = e / AW;
                    uint gi = row0 + 4u * q, gp = k0 + p;
                    vec4 v = vec4(0);
                    if (gi < M && gp < K) v = A.v[(a0 + gp * M + gi) / 4u];
                    As[p][q] = v;
                } else {
                    // A is M x K: a vec4 is four k of one row, stored transposed.
                    uint q = e % (BK / 4u), i = e / (BK / 4u);
                    uint gi = row0 + i, gp = k0 + 4u * q;
                    vec4 v = vec4(0);
                    if (gi < M && gp < K) v = A.v[(a0 + gi * K + gp) / 4u];
                    for (uint c = 0u; c < 4u; ++c) As[4u * q + c][i / 4u][i % 4u] = v[c];
                }
            }
            for (uint e = lid; e < BN * BK / 4u; e += 256u) {
                if (TB) {
                    // B is N x K: a vec4 is four k of one column, stored transposed.
                    uint q = e % (BK / 4u), j = e / (BK / 4u);
                    uint gj = col0 + j, gp = k0 + 4u * q;
                    vec4 v = vec4(0);
                    if (gj < N && gp < K) v = B.v[(b0 + gj * K + gp) / 4u];
                    for (uint c = 0u; c < 4u; ++c) Bs[4u * q + c][j / 4u][j % 4u] = v[c];
                } else {
                    // B is K x N: a vec4 is four columns at one k.
                    uint q = e % BW, p = e / BW;
                    uint gj = col0 + 4u * q, gp = k0 + p;
                    vec4 v = vec4(0);
                    if (gj < N && gp < K) v = B.v[(b0 + gp * N + gj) / 4u];
                    Bs[p][q] = v;
                }
            }
            barrier();
            for (uint p = 0u; p < BK; ++p) {
                vec4 a[H], b[H];
                for (int h = 0; h < H; ++h) {
                    a[h] = As[p][ty + 16u * uint(h)];
                    b[h] = Bs[p][tx + 16u * uint(h)];
                }
                for (int h = 0; h < H; ++h)
                    for (int i = 0; i < 4; ++i)
                        for (int c = 0; c < H; ++c) acc[4 * h + i][c] += a[h][i] * b[c];
            }
            barrier();
        }
        uint c0 = z * M * N;
        for (int h = 0; h < H; ++h) {
            for (int i = 0; i < 4; ++i) {
                uint gi = row0 + 4u * ty + 64u * uint(h) + uint(i);
                if (gi >= M) continue;
                for (int c = 0; c < H; ++c) {
                    uint gj = col0 + 4u * tx + 64u * uint(c);
                    if (gj < N) C.v[(c0 + gi * N + gj) / 4u] = acc[4 * h + i][c];
                }
            }
        }
    }
}
