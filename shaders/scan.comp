#version 460
// Cumulative sums and products along one axis (tf.cumsum,
// tf.math.cumprod), the input seen as [outer, n, inner]. One invocation
// per (outer, inner) lane walks its n elements in order, exactly as the
// CPU kernel does: same identity (+0 or 1), same order, one rounding per
// step, so the bits are the CPU's. A parallel (tree) scan would
// reassociate the float sums and change them; the cost is that a scan
// with few lanes and a long axis runs on few threads.
// OP: 0 sum, 1 product. Record: out, x addrs; n; inner; exclusive;
// reverse. The push constant n is the lane count, outer * inner.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0;

void main() {
    Params P = Params(pc.params);
    BufT o = BufT(addr_at(P, 0));
    BufT x = BufT(addr_at(P, 2));
    uint n = P.w[4], inner = P.w[5];
    bool exclusive = P.w[6] != 0u, reverse = P.w[7] != 0u;
    FOR_EACH_ELEMENT(l, pc.n, 256) {
        uint outer_i = l / inner;
        uint base = outer_i * n * inner + (l - outer_i * inner);
        T acc = OP == 1u ? T(1) : T(0);
        for (uint step = 0u; step < n; ++step) {
            uint at = base + (reverse ? n - 1u - step : step) * inner;
            T v = x.v[at];
            if (exclusive) o.v[at] = acc;
            acc = OP == 1u ? acc * v : acc + v;
            if (!exclusive) o.v[at] = acc;
        }
    }
}
