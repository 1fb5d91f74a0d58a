#version 460
// Gathers by flat offsets: out[i] = src[offsets[i]]. The offsets were
// computed (and range-checked, with TF's errors) on the host when the op
// was queued, so this reads nothing out of bounds. Type-blind: W64 moves
// 8-byte elements, else 4-byte ones.
// Record: out, src, offsets addrs.
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
    BufW src = BufW(addr_at(P, 2));
    BufU32 off = BufU32(addr_at(P, 4));
    FOR_EACH_ELEMENT(i, pc.n, 256) {
        o.v[i] = src.v[off.v[i]];
    }
}
