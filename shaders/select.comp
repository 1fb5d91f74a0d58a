#version 460
// where(cond, a, b) with broadcasting: each operand is read through its
// own (collapsed) strides. Type-blind: W64 selects 8-byte elements.
// Record: out, cond, a, b addrs; rank; cond, a, b offsets; dims; cond,
// a, b strides.
#include "common.glsl"

layout(local_size_x = 256) in;

#if defined(W64)
#define BufW BufU64
#else
#define BufW BufU32
#endif

void main() {
    Params P = Params(pc.params);
    BufW o = BufW(addr_at(P, 0));
    BufU32 c = BufU32(addr_at(P, 2));
    BufW a = BufW(addr_at(P, 4));
    BufW b = BufW(addr_at(P, 6));
    uint rank = P.w[8];
    int c_off = int(P.w[9]), a_off = int(P.w[10]), b_off = int(P.w[11]);
    const uint dims = 12u;
    FOR_EACH_ELEMENT(i, pc.n, 256) {
        uint ic = strided(P, i, rank, dims, dims + rank, c_off);
        uint ia = strided(P, i, rank, dims, dims + 2u * rank, a_off);
        uint ib = strided(P, i, rank, dims, dims + 3u * rank, b_off);
        o.v[i] = c.v[ic] != 0u ? a.v[ia] : b.v[ib];
    }
}
