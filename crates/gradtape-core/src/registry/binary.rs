//! Elementwise functions of two broadcast tensors (`shaders/elementwise.glsl`'s
//! `binary_op` and `compare_op`).

use super::{family, round_to};
use crate::DType;

family! {
    /// An elementwise op on two tensors, by TF's kernel name.
    pub enum BinaryOp {
        /// `AddV2`: `a + b`.
        Add = 0 => "AddV2",
        /// `Sub`: `a - b`.
        Sub = 1 => "Sub",
        /// `Mul`: `a * b`.
        Mul = 2 => "Mul",
        /// `RealDiv`: `a / b`.
        Div = 3 => "RealDiv",
        /// `FloorDiv`: `a // b`.
        FloorDiv = 4 => "FloorDiv",
        /// `Pow`: `a ** b`.
        Pow = 5 => "Pow",
        /// `Maximum` (NaN wins).
        Maximum = 6 => "Maximum",
        /// `Minimum` (NaN wins).
        Minimum = 7 => "Minimum",
        /// `Equal`, giving bool.
        Equal = 8 => "Equal",
        /// `NotEqual`, giving bool.
        NotEqual = 9 => "NotEqual",
        /// `Less`, giving bool.
        Less = 10 => "Less",
        /// `LessEqual`, giving bool.
        LessEqual = 11 => "LessEqual",
        /// `Greater`, giving bool.
        Greater = 12 => "Greater",
        /// `GreaterEqual`, giving bool.
        GreaterEqual = 13 => "GreaterEqual",
        /// `FloorMod`: the remainder takes the divisor's sign.
        FloorMod = 14 => "FloorMod",
        /// `TruncateDiv`: division rounded toward zero.
        TruncateDiv = 15 => "TruncateDiv",
        /// `TruncateMod`: the remainder takes the dividend's sign (C's `%`, `fmod`).
        TruncateMod = 16 => "TruncateMod",
        /// `DivNoNan`: `a / b`, or 0 where `b == 0`.
        DivNoNan = 17 => "DivNoNan",
    }
}

impl BinaryOp {
    /// Whether the op gives bool.
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Equal | NotEqual | Less | LessEqual | Greater | GreaterEqual)
    }

    /// Whether the op takes bool operands (only `==` and `!=`, as in TF).
    pub fn takes_bools(self) -> bool {
        matches!(self, BinaryOp::Equal | BinaryOp::NotEqual)
    }

    /// Whether the op takes integers (`DivNoNan` is float-only, as in TF).
    pub fn takes_ints(self) -> bool {
        self != BinaryOp::DivNoNan
    }

    /// Whether IEEE rounding makes the op exact in every float dtype. Only
    /// these have float64 shader cases: GLSL has no float64 `pow`.
    pub fn is_exact(self) -> bool {
        self != BinaryOp::Pow
    }

    /// Whether TF registers a gradient for the float op (comparisons and the
    /// integer-valued divisions have none).
    pub fn has_gradient(self) -> bool {
        use BinaryOp::*;
        matches!(self, Add | Sub | Mul | Div | Pow | Maximum | Minimum | FloorMod | DivNoNan)
    }

    /// An interval, for both operands, where the op is defined and smooth
    /// almost everywhere and an integer divisor is never 0, from which the
    /// gradient-check and parity tests draw inputs.
    pub fn domain(self) -> (f64, f64) {
        use BinaryOp::*;
        match self {
            Div | FloorDiv | FloorMod | TruncateDiv | TruncateMod | DivNoNan => (1.0, 9.0),
            Pow => (0.5, 3.0),
            // Small ranges, so that integer operands tie now and then.
            Equal | NotEqual | LessEqual | GreaterEqual => (-2.0, 2.0),
            _ => (-3.0, 3.0),
        }
    }

    /// The op on two values of `dtype` held in float64 (NaN, infinities and
    /// signed zeros as the kernels treat them; comparisons give 0 or 1): the
    /// reference the property tests hold every kernel to. NaN for integers
    /// means TF's run-time error (a zero divisor, a negative power).
    pub fn reference(self, a: f64, b: f64, dtype: DType) -> f64 {
        use BinaryOp::*;
        let bit = |c: bool| c as u8 as f64;
        let int = !dtype.is_float() && dtype != DType::Bool;
        let error = f64::NAN;
        match self {
            Add => a + b,
            Sub => a - b,
            Mul => a * b,
            Equal => bit(a == b),
            NotEqual => bit(a != b),
            Less => bit(a < b),
            LessEqual => bit(a <= b),
            Greater => bit(a > b),
            GreaterEqual => bit(a >= b),
            Maximum if a.is_nan() || b.is_nan() => f64::NAN,
            Minimum if a.is_nan() || b.is_nan() => f64::NAN,
            Maximum => a.max(b),
            Minimum => a.min(b),
            Pow if int && b < 0.0 => error,
            Pow => a.powf(b),
            // Every op left divides by `b`.
            _ if int && b == 0.0 => error,
            Div | DivNoNan if int => (a / b).trunc(),
            Div => a / b,
            DivNoNan if b == 0.0 => 0.0,
            DivNoNan => a / b,
            // The quotient rounds to the dtype before it is floored or truncated.
            FloorDiv => round_to(dtype, a / b).floor(),
            TruncateDiv => round_to(dtype, a / b).trunc(),
            TruncateMod => a % b,
            FloorMod => {
                // fmod is exact; the sign fix-up adds in the dtype's precision.
                let r = a % b;
                if r != 0.0 && ((b < 0.0) != (r < 0.0)) {
                    round_to(dtype, r + b)
                } else {
                    r
                }
            }
        }
    }
}
