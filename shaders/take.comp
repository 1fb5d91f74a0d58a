#version 460
// Gathers. OP 0, by flat offsets: out[i] = src[offsets[i]], the offsets
// computed (and range-checked, with TF's errors) on the host when the op
// was queued (gather, gather_nd, boolean_mask). OP 1, along the last axis
// (take_along_axis: top_k's values, the picked logits of the sparse
// cross-entropy): out[p] = src[(p / k) * n + idx[p]], with int32 or int64
// (IDX64) indices on the device; an index outside [0, n) reads as zero
// bits rather than out of bounds. Type-blind: W64 moves 8-byte elements,
// else 4-byte ones.
// Record: out, src, offsets-or-indices addrs; (OP 1) k; n; IDX64.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0;

#if defined(W64)
#define BufW BufU64
#define ZERO uvec2(0u)
#else
#define BufW BufU32
#define ZERO 0u
#endif

void main() {
    Params P = Params(pc.params);
    BufW o = BufW(addr_at(P, 0));
    BufW src = BufW(addr_at(P, 2));
    BufU32 off = BufU32(addr_at(P, 4));
    if (OP == 0u) {
        FOR_EACH_ELEMENT(i, pc.n, 256) {
            o.v[i] = src.v[off.v[i]];
        }
        return;
    }
    uint k = P.w[6], n = P.w[7];
    bool idx64 = P.w[8] != 0u;
    FOR_EACH_ELEMENT(p, pc.n, 256) {
        // An int64 index is in range only if its high word is 0.
        uint lo = off.v[idx64 ? 2u * p : p];
        bool ok = lo < n && (!idx64 || off.v[2u * p + 1u] == 0u);
        o.v[p] = ok ? src.v[(p / k) * n + lo] : ZERO;
    }
}
