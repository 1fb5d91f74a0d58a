// Elementwise math shared by unary.comp, binary.comp and fused.comp. The op
// codes are those of crates/gradtape-vulkan/src/ops/{unary,binary}.rs. With
// a specialisation constant as `op` the switch folds to one case; an unknown
// code yields NaN (int: the most negative value) so a missing case fails
// the parity tests instead of passing silently.

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

#if !defined(DT_BOOL)
T unary_op(uint op, T x) {
    switch (op) {
    case 0u: return -x;
    case 1u: return x < T(0) ? -x : x;
#if IS_FLOAT
    // NaN passes through and -0.0 gives +0.0, as TF's Sign.
    case 2u: return x > T(0) ? T(1) : (x < T(0) ? T(-1) : (x == T(0) ? T(0) : x));
    case 5u: return sqrt(x);
#else
    case 2u: return T(sign(x));
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
#endif
#if defined(DT_F32)
    case 5u: return pow_f(a, b);
#endif
    default: return MISSING;
    }
}

#endif

bool compare_op(uint op, T a, T b) {
    switch (op) {
    case 8u: return a == b;
    case 9u: return a != b;
    case 10u: return a < b;
    case 11u: return a <= b;
    case 12u: return a > b;
    default: return a >= b;
    }
}
