//! Elementwise functions of one tensor (`shaders/elementwise.glsl`'s `unary_op`).

use super::family;

family! {
    /// An elementwise function of one tensor, by TF's kernel name.
    pub enum UnaryOp {
        /// `-x`
        Neg = 0 => "Neg",
        /// `|x|`
        Abs = 1 => "Abs",
        /// -1, 0 or 1 (NaN stays NaN, either zero gives +0).
        Sign = 2 => "Sign",
        /// `e^x`
        Exp = 3 => "Exp",
        /// natural log
        Log = 4 => "Log",
        /// square root
        Sqrt = 5 => "Sqrt",
        /// `x * x`
        Square = 6 => "Square",
        /// sine
        Sin = 7 => "Sin",
        /// cosine
        Cos = 8 => "Cos",
        /// hyperbolic tangent
        Tanh = 9 => "Tanh",
        /// `1 / (1 + e^-x)`
        Sigmoid = 10 => "Sigmoid",
        /// `max(x, 0)`, NaN kept
        Relu = 11 => "Relu",
        /// `log(1 + x)`, accurate near 0 (`log(1 + 1e-8)` is 0 in float32).
        Log1p = 12 => "Log1p",
        /// `exp(x) - 1`, accurate near 0.
        Expm1 = 13 => "Expm1",
        /// Rounds toward -inf.
        Floor = 14 => "Floor",
        /// Rounds toward +inf.
        Ceil = 15 => "Ceil",
        /// Rounds half to even (banker's); integers unchanged.
        Round = 16 => "Round",
        /// The error function.
        Erf = 17 => "Erf",
        /// The arctangent, in (-pi/2, pi/2).
        Atan = 18 => "Atan",
    }
}

impl UnaryOp {
    /// Whether the op takes integers (wrapping, as C++ does); the others are float-only, as in TF.
    pub fn takes_ints(self) -> bool {
        use UnaryOp::*;
        matches!(self, Neg | Abs | Sign | Square | Relu | Round)
    }

    /// Whether IEEE rounding makes the op exact in every float dtype (a
    /// float32 result is the float64 reference rounded, bit for bit). Only
    /// these have float64 shader cases: GLSL has no float64 transcendentals.
    pub fn is_exact(self) -> bool {
        use UnaryOp::*;
        matches!(self, Neg | Abs | Sign | Sqrt | Square | Relu | Floor | Ceil | Round)
    }

    /// Whether TF registers a gradient (rounding has none: `None`, not zeros).
    pub fn has_gradient(self) -> bool {
        !matches!(self, UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Round)
    }

    /// An interval where the op is defined and smooth (but for a kink at
    /// 0), from which the gradient-check and parity tests draw inputs.
    pub fn domain(self) -> (f64, f64) {
        use UnaryOp::*;
        match self {
            Log | Sqrt => (0.1, 5.0),
            Log1p => (-0.9, 5.0),
            // Past 9 the shader's tanh saturates to sign(x): parity covers it.
            Tanh => (-12.0, 12.0),
            Sigmoid => (-6.0, 6.0),
            _ => (-3.0, 3.0),
        }
    }

    /// The op on one float64 value (NaN, infinities and signed zeros as
    /// the kernels treat them): the reference the property tests hold
    /// every dtype's kernel to. An integer input gives the integer result.
    pub fn reference(self, x: f64) -> f64 {
        use UnaryOp::*;
        match self {
            Neg => -x,
            Abs => x.abs(),
            Sign if x.is_nan() => x,
            Sign if x == 0.0 => 0.0,
            Sign => x.signum(),
            Exp => x.exp(),
            Log => x.ln(),
            Sqrt => x.sqrt(),
            Square => x * x,
            Sin => x.sin(),
            Cos => x.cos(),
            Tanh => x.tanh(),
            Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Relu if x.is_nan() => x,
            Relu => x.max(0.0),
            Log1p => x.ln_1p(),
            Expm1 => x.exp_m1(),
            Floor => x.floor(),
            Ceil => x.ceil(),
            Round => x.round_ties_even(),
            Erf => libm::erf(x),
            Atan => x.atan(),
        }
    }
}
