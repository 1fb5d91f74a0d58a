#version 460
// tf.cast between bool (u32 on the device), int32, int64, float32 and
// float64, with the CPU kernel's semantics: the value goes through f64,
// float to int truncates toward zero and saturates, NaN becomes 0, and
// anything non-zero (NaN too) becomes true. SRC and DST are dtype codes
// (0 bool, 1 int32, 2 int64, 3 float32, 4 float64); the 64-bit types
// exist only in the WIDE variant, compiled for devices with shaderInt64
// and shaderFloat64. Record: out, x addrs.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint SRC = 0;
layout(constant_id = 1) const uint DST = 0;

#if defined(WIDE)
#define F double
#else
#define F float
#endif

F load(uvec2 at, uint i) {
    switch (SRC) {
    case 0u: return F(BufU32(at).v[i]);
    case 1u: return F(BufI32(at).v[i]);
    case 3u: return F(BufF32(at).v[i]);
#if defined(WIDE)
    case 2u: return F(BufI64(at).v[i]);
    case 4u: return BufF64(at).v[i];
#endif
    default: return F(0);
    }
}

// As TF's CPU kernels on x86 (cvttss2si): NaN, infinities and values out
// of range are the integer minimum, as the CPU backend gives.
int to_i32(F v) {
    if (!(v > F(-2147483649.0) && v < F(2147483648.0))) return int(0x80000000u);
    return int(v);
}

void main() {
    Params P = Params(pc.params);
    uvec2 out_at = addr_at(P, 0);
    uvec2 in_at = addr_at(P, 2);
    FOR_EACH_ELEMENT(i, pc.n, 256) {
#if defined(WIDE)
        // int32 and int64 to int64 are exact, not rounded through f64.
        if (DST == 2u && SRC == 1u) { BufI64(out_at).v[i] = int64_t(BufI32(in_at).v[i]); continue; }
        if (DST == 2u && SRC == 2u) { BufI64(out_at).v[i] = BufI64(in_at).v[i]; continue; }
#endif
        F v = load(in_at, i);
        switch (DST) {
        case 0u: BufU32(out_at).v[i] = v != F(0) ? 1u : 0u; break;
        case 1u: BufI32(out_at).v[i] = to_i32(v); break;
        case 3u: BufF32(out_at).v[i] = float(v); break;
#if defined(WIDE)
        case 2u: {
            int64_t r;
            if (!(v >= -9223372036854775808.0lf && v < 9223372036854775808.0lf)) r = int64_t(0x8000000000000000ul);
            else r = int64_t(v);
            BufI64(out_at).v[i] = r;
            break;
        }
        case 4u: BufF64(out_at).v[i] = v; break;
#endif
        default: BufF32(out_at).v[i] = uintBitsToFloat(0x7fc00000u); break;
        }
    }
}
