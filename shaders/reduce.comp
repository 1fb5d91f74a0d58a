#version 460
// Reductions. The input is seen as [M outputs] x [K reduced elements],
// each side a (collapsed) strided index space, so any axis list reduces
// with one kernel. OP: gradtape_core::registry::ReduceOp's code, 0 sum,
// 1 prod, 2 max, 3 min (mean, 4, is run as a sum with a divisor). A long reduction into few outputs is split S ways: this
// kernel writes M*S partials, and a second dispatch reduces those.
// Record: out, x addrs; M; K; kept rank; reduced rank; x offset; divisor
// (0: none); S; mode (0: a thread per output, 1: a workgroup per output);
// kept dims, kept strides, reduced dims, reduced strides.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0;

shared T partial[256];

T identity() {
#if IS_FLOAT
#if defined(DT_F64)
    T inf = packDouble2x32(uvec2(0u, 0x7ff00000u));
#else
    T inf = uintBitsToFloat(0x7f800000u);
#endif
#elif defined(DT_I64)
    T inf = int64_t(0x7fffffffffffffffl);
#else
    T inf = int(0x7fffffff);
#endif
    switch (OP) {
    case 1u: return T(1);
    case 2u: return -inf - T(IS_FLOAT == 0 ? 1 : 0);
    case 3u: return inf;
    case 0u:
    default: return T(0);
    }
}

// NaN wins max and min, as in the CPU kernel.
T combine(T a, T x) {
    switch (OP) {
    case 1u: return a * x;
#if IS_FLOAT
    case 2u: return (x > a || isnan(x)) ? x : a;
    case 3u: return (x < a || isnan(x)) ? x : a;
#else
    case 2u: return max(a, x);
    case 3u: return min(a, x);
#endif
    case 0u:
    default: return a + x;
    }
}

void main() {
    Params P = Params(pc.params);
    BufT o = BufT(addr_at(P, 0));
    BufT x = BufT(addr_at(P, 2));
    uint M = P.w[4], K = P.w[5], rk = P.w[6], rr = P.w[7];
    int base = int(P.w[8]);
    uint divisor = P.w[9], S = P.w[10], mode = P.w[11];
    const uint kd = 12u;
    uint ks = kd + rk, rd = ks + rk, rs = rd + rr;
    uint chunk = (K + S - 1u) / S;
    uint total = M * S;
    uint lane = gl_LocalInvocationID.x;
    if (mode == 0u) {
        FOR_EACH_ELEMENT(q, total, 256) {
            uint out_i = q / S, s = q - out_i * S;
            int at = int(strided(P, out_i, rk, kd, ks, base));
            T acc = identity();
            uint end = min(K, (s + 1u) * chunk);
            for (uint r = s * chunk; r < end; ++r) {
                acc = combine(acc, x.v[strided(P, r, rr, rd, rs, at)]);
            }
            if (divisor != 0u) acc = acc / T(divisor);
            o.v[q] = acc;
        }
        return;
    }
    for (uint q = gl_WorkGroupID.x; q < total; q += gl_NumWorkGroups.x) {
        uint out_i = q / S, s = q - out_i * S;
        int at = int(strided(P, out_i, rk, kd, ks, base));
        T acc = identity();
        uint end = min(K, (s + 1u) * chunk);
        for (uint r = s * chunk + lane; r < end; r += 256u) {
            acc = combine(acc, x.v[strided(P, r, rr, rd, rs, at)]);
        }
        partial[lane] = acc;
        barrier();
        for (uint h = 128u; h > 0u; h >>= 1u) {
            if (lane < h) partial[lane] = combine(partial[lane], partial[lane + h]);
            barrier();
        }
        if (lane == 0u) {
            T v = partial[0];
            if (divisor != 0u) v = v / T(divisor);
            o.v[q] = v;
        }
        barrier();
    }
}
