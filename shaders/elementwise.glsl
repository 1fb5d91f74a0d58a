// Elementwise math shared by unary.comp, binary.comp and fused.comp. The op
// codes are the discriminants of gradtape_core::registry's UnaryOp and
// BinaryOp (tests/shader_cases.rs checks these case labels against their
// ALL lists). With a specialisation constant as `op` the switch folds to
// one case; an unknown code yields NaN (int: the most negative value) so a
// missing case fails the parity tests instead of passing silently.

#if IS_FLOAT
#if defined(DT_F64)
T nan_t() { return packDouble2x32(uvec2(0u, 0x7ff80000u)); }
#else
T nan_t() { return uintBitsToFloat(0x7fc00000u); }
#endif
#define MISSING nan_t()
#elif defined(DT_I64)
#define MISSING int64_t(0x8000000000000000ul)
#else
#define MISSING int(0x80000000u)
#endif

#if defined(DT_F32)
// GLSL has no log1p, expm1 or erf. These stay within a few float32 ulps
// (erf: 1.5e-7 absolute) of the CPU's libm, where exp(x) - 1 and
// log(1 + x) would lose every digit near 0.
float log1p_f(float x) {
    float u = 1.0 + x;
    if (u == 1.0) return x;
    if (isinf(u) && x > 0.0) return x;
    // log(u) / (u - 1) corrects the rounding of 1 + x (Goldberg).
    return log(u) * (x / (u - 1.0));
}

float expm1_f(float x) {
    if (abs(x) < 0.5) {
        // Taylor to x^8 (relative error below 2e-8 here); Horner keeps -0.
        float p = 1.0 / 40320.0;
        p = p * x + 1.0 / 5040.0;
        p = p * x + 1.0 / 720.0;
        p = p * x + 1.0 / 120.0;
        p = p * x + 1.0 / 24.0;
        p = p * x + 1.0 / 6.0;
        p = p * x + 0.5;
        p = p * x + 1.0;
        return x * p;
    }
    return exp(x) - 1.0;
}

float erf_f(float x) {
    float a = abs(x);
    if (a < 0.5) {
        // 2/sqrt(pi) (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 - x^11/1320)
        float z = x * x;
        float p = -1.0 / 1320.0;
        p = p * z + 1.0 / 216.0;
        p = p * z - 1.0 / 42.0;
        p = p * z + 1.0 / 10.0;
        p = p * z - 1.0 / 3.0;
        p = p * z + 1.0;
        return 1.1283791670955126 * x * p;
    }
    // Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
    float t = 1.0 / (1.0 + 0.3275911 * a);
    float q = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
    float r = 1.0 - q * exp(-a * a);
    return x < 0.0 ? -r : r;
}

// Vulkan lets the builtin atan be 4096 ulps off; Cephes' atanf (relative
// error below 2e-7): reduce |x| to [0, tan(pi/8)], then a polynomial.
float atan_f(float x) {
    float a = abs(x), y = 0.0;
    if (a > 2.414213562373095) {
        y = 1.5707963267948966;
        a = -1.0 / a;
    } else if (a > 0.4142135623730950) {
        y = 0.7853981633974483;
        a = (a - 1.0) / (a + 1.0);
    }
    float z = a * a;
    y += (((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * a + a;
    return x < 0.0 ? -y : (x == 0.0 ? x : y);
}

// Vulkan's builtin tan is only as good as sin / cos (2^-11 absolute);
// Cephes' tanf (relative error below 4e-7 for |x| < 8192): subtract the
// nearest even multiple of pi/4 in three exact parts, a polynomial in
// [-pi/4, pi/4], and -1/tan where the multiple is odd times pi/2. Past
// 8192 (and for inf and NaN, which give NaN) the builtin.
float tan_f(float x) {
    float a = abs(x);
    if (!(a <= 8192.0)) return tan(x);
    float j = floor(a * 1.2732395447351628);
    if (mod(j, 2.0) == 1.0) j += 1.0;
    float z = ((a - j * 0.78515625) - j * 2.4187564849853515625e-4) - j * 3.77489497744594108e-8;
    float zz = z * z;
    float y = z;
    if (a > 1.0e-4) {
        y = (((((9.38540185543e-3 * zz + 3.11992232697e-3) * zz + 2.44301354525e-2) * zz + 5.34112807005e-2) * zz + 1.33387994085e-1) * zz + 3.33331568548e-1) * zz * z + z;
    }
    if (mod(j, 4.0) == 2.0) y = -1.0 / y;
    return x < 0.0 ? -y : (x == 0.0 ? x : y);
}
#endif

#if !defined(DT_BOOL)
T unary_op(uint op, T x) {
    switch (op) {
    case 0u: return -x;
    case 1u: return x < T(0) ? -x : x;
#if IS_FLOAT
    // NaN passes through and -0.0 gives +0.0, as TF's Sign.
    case 2u: return x > T(0) ? T(1) : (x < T(0) ? T(-1) : (x == T(0) ? T(0) : x));
    case 5u: return sqrt(x);
    case 14u: return floor(x);
    case 15u: return ceil(x);
    case 16u: return roundEven(x);
#else
    case 2u: return T(sign(x));
    // Rounding an integer is the integer.
    case 16u: return x;
#endif
    case 6u: return x * x;
    // TF's Relu keeps NaN (x != x only for NaN; never for ints).
    case 11u: return x > T(0) || x != x ? x : T(0);
#if defined(DT_F32)
    case 3u: return exp(x);
    case 4u: return log(x);
    case 7u: return sin(x);
    case 8u: return cos(x);
    // The builtin overflows to inf/inf = NaN for large |x| on some drivers.
    case 9u: return abs(x) > 9.0 ? sign(x) : tanh(x);
    case 10u: return 1.0 / (1.0 + exp(-x));
    case 12u: return log1p_f(x);
    case 13u: return expm1_f(x);
    case 17u: return erf_f(x);
    case 18u: return atan_f(x);
    case 19u: return tan_f(x);
#endif
    default: return MISSING;
    }
}

#if !IS_FLOAT
T int_pow(T a, T b) {
    if (b < T(0)) return T(0);
    T r = T(1);
    while (b > T(0)) {
        if ((b & T(1)) != T(0)) r *= a;
        a *= a;
        b >>= T(1);
    }
    return r;
}
#endif

#if IS_FLOAT
// C's fmod, exact while |a / b| < 2^24 (float32): trunc(a / b) may be one
// off where the quotient rounds across an integer; the fused multiply-add
// gives a - q b in one rounding and the sign checks step q back.
T fmod_t(T a, T b) {
    if (isinf(b) && !isinf(a)) return a;
    T q = trunc(a / b);
    precise T r = fma(-q, b, a);
    T step = a < T(0) ? -abs(b) : abs(b);
    if (r != T(0) && ((r < T(0)) != (a < T(0)))) r += step;
    if (abs(r) >= abs(b)) r -= step;
    return r;
}
#endif

#if defined(DT_F32)
// powf's special cases, which GLSL's pow leaves undefined.
float pow_f(float a, float b) {
    if (b == 0.0) return 1.0;
    if (isnan(a) || isnan(b)) return a + b;
    if (a == 0.0) return b > 0.0 ? 0.0 : uintBitsToFloat(0x7f800000u);
    // Small integer powers multiply, exactly where the result is exact
    // (exp2(b log2 a) makes 3^2 = 9.000001).
    if (floor(b) == b && abs(b) <= 64.0) {
        float base = a, r = 1.0;
        for (uint e = uint(abs(b)); e > 0u; e >>= 1u) {
            if ((e & 1u) != 0u) r *= base;
            base *= base;
        }
        return b < 0.0 ? 1.0 / r : r;
    }
    if (a < 0.0) {
        if (floor(b) != b) return nan_t();
        float m = pow(-a, b);
        return mod(b, 2.0) == 1.0 ? -m : m;
    }
    return pow(a, b);
}
#endif

T binary_op(uint op, T a, T b) {
    switch (op) {
    case 0u: return a + b;
    case 1u: return a - b;
    case 2u: return a * b;
#if IS_FLOAT
    case 3u: return a / b;
    case 4u: return floor(a / b);
    case 6u: return (isnan(a) || a > b) ? a : b;
    case 7u: return (isnan(a) || a < b) ? a : b;
    case 14u: {
        T r = fmod_t(a, b);
        return (r != T(0) && ((b < T(0)) != (r < T(0)))) ? r + b : r;
    }
    case 15u: return trunc(a / b);
    case 16u: return fmod_t(a, b);
    case 17u: return b == T(0) ? T(0) : a / b;
#else
    // Integer division by zero gives 0, as the CPU kernel does.
    case 3u: return b == T(0) ? T(0) : a / b;
    case 4u: {
        if (b == T(0)) return T(0);
        T q = a / b;
        return (q * b != a && ((a < T(0)) != (b < T(0)))) ? q - T(1) : q;
    }
    case 5u: return int_pow(a, b);
    case 6u: return max(a, b);
    case 7u: return min(a, b);
    // Remainders by a - (a / b) b: GLSL's % is undefined for negatives.
    case 14u: {
        if (b == T(0)) return T(0);
        T r = a - (a / b) * b;
        return (r != T(0) && ((a < T(0)) != (b < T(0)))) ? r + b : r;
    }
    case 15u: return b == T(0) ? T(0) : a / b;
    case 16u: return b == T(0) ? T(0) : a - (a / b) * b;
#endif
#if defined(DT_F32)
    case 5u: return pow_f(a, b);
#endif
    default: return MISSING;
    }
}

#endif

bool is_comparison(uint op) {
    return op >= 8u && op <= 13u;
}

bool compare_op(uint op, T a, T b) {
    switch (op) {
    case 8u: return a == b;
    case 9u: return a != b;
    case 10u: return a < b;
    case 11u: return a <= b;
    case 12u: return a > b;
    case 13u: return a >= b;
    default: return false;
    }
}
