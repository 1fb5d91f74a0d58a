#version 460
// Scatters by flat offsets without atomics: one invocation per OUTPUT
// element walks the updates that land on it, in update order, through a
// host-built CSR (row_start[j] .. row_start[j + 1] index into `cols`, the
// update positions sorted by destination, stably). A float atomic add
// would sum in whatever order the threads arrive, so its bits would change
// from run to run; this sums in exactly the CPU kernel's order (the same
// initial value, then the updates in increasing position), so the bits
// are the CPU's. OP: 0 sum, 1 max, 2 min (bool runs as int32 0/1, its
// `or` as a max). The comparisons are spelled out, not max()/min(), so
// that a NaN update is skipped exactly as the CPU's `x > acc` skips it.
// Record: out, updates, row_start, cols addrs; the initial value's bits
// (low word, high word).
// OP 3 is the gradient of the last-axis gather instead: out[r, c] sums
// g[r, j] over the j (in order) with idx[r, j] == c, the indices int32 or
// int64 (IDX64) on the device; an index outside [0, n) adds nowhere.
// Record: out, g, idx, (unused) addrs; the initial value's bits; k; n;
// IDX64.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0;

T initial(Params P) {
    uint lo = P.w[8], hi = P.w[9];
#if defined(DT_F32)
    return uintBitsToFloat(lo);
#elif defined(DT_F64)
    return packDouble2x32(uvec2(lo, hi));
#elif defined(DT_I64)
    return int64_t((uint64_t(hi) << 32) | uint64_t(lo));
#else
    return int(lo);
#endif
}

T combine(T acc, T x) {
    switch (OP) {
    case 1u: return x > acc ? x : acc;
    case 2u: return x < acc ? x : acc;
    case 0u:
    default: return acc + x;
    }
}

void main() {
    Params P = Params(pc.params);
    BufT o = BufT(addr_at(P, 0));
    BufT u = BufT(addr_at(P, 2));
    BufU32 row = BufU32(addr_at(P, 4));
    BufU32 cols = BufU32(addr_at(P, 6));
    T init = initial(P);
    if (OP == 3u) {
        uint k = P.w[10], n = P.w[11];
        bool idx64 = P.w[12] != 0u;
        FOR_EACH_ELEMENT(j, pc.n, 256) {
            uint r = j / n, c = j - r * n;
            T acc = init;
            for (uint q = r * k; q < r * k + k; ++q) {
                // An int64 index is c only if its high word is 0.
                bool hit = row.v[idx64 ? 2u * q : q] == c && (!idx64 || row.v[2u * q + 1u] == 0u);
                if (hit) acc = acc + u.v[q];
            }
            o.v[j] = acc;
        }
        return;
    }
    FOR_EACH_ELEMENT(j, pc.n, 256) {
        T acc = init;
        uint end = row.v[j + 1u];
        for (uint k = row.v[j]; k < end; ++k) {
            acc = combine(acc, u.v[cols.v[k]]);
        }
        o.v[j] = acc;
    }
}
