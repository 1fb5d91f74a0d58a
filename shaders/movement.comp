#version 460
// Moves elements without arithmetic: dst[d_off + idx . d_strides] =
// src[s_off + idx . s_strides] for every index of a (collapsed) index
// space. Transpose, broadcast and strided slices are gathers (dst
// contiguous), concat and the slice gradient scatters (src contiguous).
// Type-blind: W64 copies 8-byte elements, else 4-byte ones.
// Record: dst, src addrs; rank; dst offset; src offset; dims; dst strides;
// src strides.
#include "common.glsl"

layout(local_size_x = 256) in;

#if defined(W64)
#define BufW BufU64
#else
#define BufW BufU32
#endif

void main() {
    Params P = Params(pc.params);
    BufW dst = BufW(addr_at(P, 0));
    BufW src = BufW(addr_at(P, 2));
    uint rank = P.w[4];
    int d_off = int(P.w[5]), s_off = int(P.w[6]);
    const uint dims = 7u;
    FOR_EACH_ELEMENT(i, pc.n, 256) {
        uint d = strided(P, i, rank, dims, dims + rank, d_off);
        uint s = strided(P, i, rank, dims, dims + 2u * rank, s_off);
        dst.v[d] = src.v[s];
    }
}
