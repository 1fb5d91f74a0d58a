//! Elementwise functions of one tensor (`shaders/elementwise.glsl`'s `unary_op`).
//!
//! Each primitive is declared once, in [`for_each_unary!`](crate::for_each_unary)'s table: its
//! discriminant (the shader's `case` label), TF's name, the public method
//! and its rustdoc, the per-element function of the float and (where TF has
//! one) integer kernels, the float64 reference, the gradient rule, and what
//! the tests need. This file expands the table into [`UnaryOp`] and its
//! metadata, the kernels' dispatch ([`UnaryElem`]) and the gradients
//! ([`UnaryOp::gradient`]); the engine expands the same table into the
//! `Tensor` methods. A new unary primitive is an entry here and its `case`
//! in the shader, nothing else.

use super::{family, GradOps};
use crate::Result;

/// Calls `$cb! { ... }` with the table of every unary primitive, so that a
/// crate generates what it needs from the one declaration (the engine: the
/// public `Tensor` methods). Each entry is
///
/// ```text
/// /// variant docs
/// Name = code => "TfName" {
///     /// method docs (doctests run in the engine)
///     fn method;
///     float: |x| ...,             // f32 and f64 kernels (monomorphised per op)
///     int: |x| ...,               // optional: int32 and int64 kernels (wrapping)
///     reference: |x| ...,         // float64 reference of the property tests
///     grad: |x, y, g| ... | none, // d op / dx times g, in `GradOps`; none: TF has no gradient
///     exact: bool,                // IEEE-exact: float64 shader case, bitwise tests
///     domain: (lo, hi),           // where the gradient and parity tests draw inputs
///     complex: bool,              // TF's dtype list in the error names complex types
///     weak: bool,                 // a weak input gives a weak result
/// }
/// ```
#[macro_export]
macro_rules! for_each_unary {
    ($cb:ident) => {
        $cb! {
            /// `-x`
            Neg = 0 => "Neg" {
                /// `-x`
                fn neg;
                float: |x| -x,
                int: |x| x.wrapping_neg(),
                reference: |x| -x,
                grad: |x, y, g| g.neg()?,
                exact: true, domain: (-3.0, 3.0), complex: true, weak: true,
            }
            /// `|x|`
            Abs = 1 => "Abs" {
                /// `tf.abs`
                fn abs;
                float: |x| x.abs(),
                int: |x| x.wrapping_abs(),
                reference: |x| x.abs(),
                grad: |x, y, g| g.mul(&x.sign()?)?,
                exact: true, domain: (-3.0, 3.0), complex: true, weak: true,
            }
            /// -1, 0 or 1 (NaN stays NaN, either zero gives +0).
            Sign = 2 => "Sign" {
                /// `tf.sign`
                fn sign;
                // Zero of either sign gives +0 and NaN stays NaN, as TF's Sign.
                float: |x| if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else if x == 0.0 { 0.0 } else { x },
                int: |x| x.signum(),
                reference: |x| if x.is_nan() { x } else if x == 0.0 { 0.0 } else { x.signum() },
                // TF's Sign gradient is zeros, not None: d2|x| and d2 relu are connected zeros.
                grad: |x, y, g| g.zeros_like(),
                exact: true, domain: (-3.0, 3.0), complex: true, weak: true,
            }
            /// `e^x`
            Exp = 3 => "Exp" {
                /// `tf.exp`
                fn exp;
                float: |x| x.exp(),
                reference: |x| x.exp(),
                grad: |x, y, g| g.mul(y)?,
                exact: false, domain: (-3.0, 3.0), complex: true, weak: true,
            }
            /// natural log
            Log = 4 => "Log" {
                /// `tf.math.log` (natural)
                fn log;
                float: |x| x.ln(),
                reference: |x| x.ln(),
                grad: |x, y, g| g.div(x)?,
                exact: false, domain: (0.1, 5.0), complex: true, weak: true,
            }
            /// square root
            Sqrt = 5 => "Sqrt" {
                /// `tf.sqrt`
                fn sqrt;
                float: |x| x.sqrt(),
                reference: |x| x.sqrt(),
                // d sqrt(x) = 0.5 / sqrt(x); TF's SqrtGrad gives 0 where the upstream
                // is 0, so an untaken `where` branch at x < 0 passes no NaN.
                grad: |x, y, g| {
                    let d = g.mul(&y.scalar_like(0.5).div(y)?)?;
                    g.equal(&g.scalar_like(0.0))?.select(&g.zeros_like(), &d)?
                },
                exact: true, domain: (0.1, 5.0), complex: true, weak: true,
            }
            /// `x * x`
            Square = 6 => "Square" {
                /// `tf.square`
                fn square;
                float: |x| x * x,
                int: |x| x.wrapping_mul(x),
                reference: |x| x * x,
                grad: |x, y, g| g.mul(&x.mul(&x.scalar_like(2.0))?)?,
                exact: true, domain: (-3.0, 3.0), complex: true, weak: true,
            }
            /// sine
            Sin = 7 => "Sin" {
                /// `tf.sin`
                fn sin;
                float: |x| x.sin(),
                reference: |x| x.sin(),
                grad: |x, y, g| g.mul(&x.unary(Cos)?)?,
                exact: false, domain: (-3.0, 3.0), complex: true, weak: true,
            }
            /// cosine
            Cos = 8 => "Cos" {
                /// `tf.cos`
                fn cos;
                float: |x| x.cos(),
                reference: |x| x.cos(),
                grad: |x, y, g| g.mul(&x.unary(Sin)?.neg()?)?,
                exact: false, domain: (-3.0, 3.0), complex: true, weak: true,
            }
            /// hyperbolic tangent
            Tanh = 9 => "Tanh" {
                /// `tf.tanh`
                fn tanh;
                float: |x| x.tanh(),
                reference: |x| x.tanh(),
                // d tanh = 1 - tanh^2
                grad: |x, y, g| g.mul(&y.scalar_like(1.0).sub(&y.square()?)?)?,
                // Past 9 the shader's tanh saturates to sign(x): parity covers it.
                exact: false, domain: (-12.0, 12.0), complex: true, weak: true,
            }
            /// `1 / (1 + e^-x)`
            Sigmoid = 10 => "Sigmoid" {
                /// `tf.sigmoid`
                fn sigmoid;
                float: |x| 1.0 / (1.0 + (-x).exp()),
                reference: |x| 1.0 / (1.0 + (-x).exp()),
                // d sigmoid = s (1 - s)
                grad: |x, y, g| g.mul(&y.mul(&y.scalar_like(1.0).sub(y)?)?)?,
                exact: false, domain: (-6.0, 6.0), complex: true, weak: true,
            }
            /// `max(x, 0)`, NaN kept
            Relu = 11 => "Relu" {
                /// `tf.nn.relu`
                ///
                /// ```
                /// # use gradtape_engine::*;
                /// assert_eq!(constant([-1.0, 2.0])?.relu()?.to_vec::<f32>()?, vec![0.0, 2.0]);
                /// // Transcendentals have no integer kernel, as in TF.
                /// let e = constant([1, 2])?.exp().unwrap_err();
                /// assert!(e.to_string().ends_with("is not in the list of allowed values: bfloat16, half, float, double, complex64, complex128 [Op:Exp]"));
                /// # Ok::<(), gradtape_core::Error>(())
                /// ```
                fn relu;
                // TF's Relu is max(x, 0) with PropagateNaN: NaN stays NaN.
                float: |x| if x > 0.0 || x.is_nan() { x } else { 0.0 },
                int: |x| x.max(0),
                reference: |x| if x.is_nan() { x } else { x.max(0.0) },
                // TF's ReluGrad is g * (y > 0): 0 where y is NaN. The mask is sign(y)
                // there, so it stays differentiable (d2 relu is connected zeros).
                // The 0 branch is a broadcast scalar: a zeros_like(y) was a fresh
                // zero-filled buffer of y's size on every backward pass.
                grad: |x, y, g| g.mul(&y.greater(&y.scalar_like(0.0))?.select(&y.sign()?, &y.scalar_like(0.0))?)?,
                exact: true, domain: (-3.0, 3.0), complex: true, weak: true,
            }
            /// `log(1 + x)`, accurate near 0 (`log(1 + 1e-8)` is 0 in float32).
            Log1p = 12 => "Log1p" {
                /// `tf.math.log1p`: `log(1 + x)`, exact near 0.
                fn log1p;
                float: |x| x.ln_1p(),
                reference: |x| x.ln_1p(),
                grad: |x, y, g| g.div(&x.add_scalar(1.0)?)?,
                exact: false, domain: (-0.9, 5.0), complex: false, weak: false,
            }
            /// `exp(x) - 1`, accurate near 0.
            Expm1 = 13 => "Expm1" {
                /// `tf.math.expm1`: `exp(x) - 1`, exact near 0.
                fn expm1;
                float: |x| x.exp_m1(),
                reference: |x| x.exp_m1(),
                grad: |x, y, g| g.mul(&y.add_scalar(1.0)?)?,
                exact: false, domain: (-3.0, 3.0), complex: false, weak: false,
            }
            /// Rounds toward -inf.
            Floor = 14 => "Floor" {
                /// `tf.floor` (no gradient, as in TF).
                fn floor;
                float: |x| x.floor(),
                reference: |x| x.floor(),
                grad: none,
                exact: true, domain: (-3.0, 3.0), complex: false, weak: false,
            }
            /// Rounds toward +inf.
            Ceil = 15 => "Ceil" {
                /// `tf.math.ceil` (no gradient, as in TF).
                fn ceil;
                float: |x| x.ceil(),
                reference: |x| x.ceil(),
                grad: none,
                exact: true, domain: (-3.0, 3.0), complex: false, weak: false,
            }
            /// Rounds half to even (banker's); integers unchanged.
            Round = 16 => "Round" {
                /// `tf.round`: half to even (`2.5 -> 2`, `-0.5 -> -0`); integers unchanged.
                ///
                /// ```
                /// # use gradtape_engine::*;
                /// assert_eq!(constant([0.5, 1.5, 2.5])?.round()?.to_vec::<f32>()?, vec![0.0, 2.0, 2.0]);
                /// # Ok::<(), gradtape_core::Error>(())
                /// ```
                fn round;
                float: |x| x.round_ties_even(),
                // Rounding an integer is the integer (`Tensor::unary` runs no kernel).
                int: |x| x,
                reference: |x| x.round_ties_even(),
                grad: none,
                exact: true, domain: (-3.0, 3.0), complex: false, weak: false,
            }
            /// The error function.
            Erf = 17 => "Erf" {
                /// `tf.math.erf`.
                fn erf;
                float: |x| Libm::erf(x),
                reference: |x| libm::erf(x),
                // d erf = 2/sqrt(pi) exp(-x^2)
                grad: |x, y, g| g.mul(&x.square()?.neg()?.unary(Exp)?.mul_scalar(std::f64::consts::FRAC_2_SQRT_PI)?)?,
                exact: false, domain: (-3.0, 3.0), complex: false, weak: false,
            }
            /// The arctangent, in (-pi/2, pi/2).
            Atan = 18 => "Atan" {
                /// `tf.math.atan`: the arctangent, in (-pi/2, pi/2).
                ///
                /// ```
                /// # use gradtape_engine::*;
                /// let y = constant([1.0, -1e30])?.atan()?.to_vec::<f32>()?;
                /// assert!((y[0] - std::f32::consts::FRAC_PI_4).abs() < 1e-7 && (y[1] + std::f32::consts::FRAC_PI_2).abs() < 1e-7);
                /// # Ok::<(), gradtape_core::Error>(())
                /// ```
                fn atan;
                float: |x| x.atan(),
                reference: |x| x.atan(),
                // d atan = 1 / (1 + x^2)
                grad: |x, y, g| g.div(&x.square()?.add_scalar(1.0)?)?,
                exact: false, domain: (-3.0, 3.0), complex: true, weak: true,
            }
            /// The tangent (NaN at ±inf, as `sin / cos`).
            Tan = 19 => "Tan" {
                /// `tf.math.tan`: the tangent; NaN for infinities and NaN.
                ///
                /// ```
                /// # use gradtape_engine::*;
                /// let y = constant([0.0, std::f32::consts::FRAC_PI_4, -1.0])?.tan()?.to_vec::<f32>()?;
                /// assert!(y[0] == 0.0 && (y[1] - 1.0).abs() < 1e-6 && (y[2] + 1.5574077).abs() < 1e-6);
                /// assert!(constant([f32::INFINITY])?.tan()?.to_vec::<f32>()?[0].is_nan());
                /// # Ok::<(), gradtape_core::Error>(())
                /// ```
                fn tan;
                float: |x| x.tan(),
                reference: |x| x.tan(),
                // TF's TanGrad: square(reciprocal(cos(x))) * g.
                grad: |x, y, g| x.unary(Cos)?.reciprocal()?.square()?.mul(g)?,
                // Inside (-pi/2, pi/2), clear of the poles.
                exact: false, domain: (-1.2, 1.2), complex: true, weak: true,
            }
        }
    };
}

/// A loop over elements of `T`, given one op's per-element function: the
/// engine writes each kernel (whole buffer, fused block) once as a
/// `UnaryKernel`, and [`UnaryElem::dispatch`] calls [`run`](Self::run)
/// with the op's own closure type, so every op gets its own monomorphised,
/// vectorisable loop (no function pointer or match per element).
pub trait UnaryKernel<T> {
    /// What the kernel returns.
    type Output;
    /// Runs the loop with `f` as the per-element function.
    fn run<F: Fn(T) -> T + Copy + Send + Sync>(self, f: F) -> Self::Output;
}

/// An element type the unary kernels run on (float32, float64, int32, int64).
pub trait UnaryElem: Copy + Send + Sync + 'static {
    /// Runs `k` with `op`'s function on this type; `None` where the op has
    /// no kernel for it (the float-only ops on integers).
    fn dispatch<K: UnaryKernel<Self>>(op: UnaryOp, k: K) -> Option<K::Output>;
}

/// libm's functions that std lacks, per float type.
trait Libm {
    fn erf(self) -> Self;
}
impl Libm for f32 {
    fn erf(self) -> f32 {
        libm::erff(self)
    }
}
impl Libm for f64 {
    fn erf(self) -> f64 {
        libm::erf(self)
    }
}

fn call(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    f(x)
}

/// Expands [`for_each_unary!`]'s table into the enum, its metadata, the
/// kernels' dispatch and the gradient rules.
macro_rules! unary_family {
    (@present) => { false };
    (@present $($t:tt)+) => { true };
    (@grad ($x:ident, $y:ident, $g:ident)) => { Ok(None) };
    (@grad ($x:ident, $y:ident, $g:ident) |$gx:ident, $gy:ident, $gg:ident| $grad:expr) => {{
        let ($gx, $gy, $gg) = ($x, $y, $g);
        Ok(Some($grad))
    }};
    (@float $t:ident $($var:ident $f:expr;)*) => {
        impl UnaryElem for $t {
            fn dispatch<K: UnaryKernel<$t>>(op: UnaryOp, k: K) -> Option<K::Output> {
                Some(match op {
                    $(UnaryOp::$var => k.run($f),)*
                })
            }
        }
    };
    (@int $t:ident $($var:ident $($f:expr)?;)*) => {
        impl UnaryElem for $t {
            fn dispatch<K: UnaryKernel<$t>>(op: UnaryOp, k: K) -> Option<K::Output> {
                match op {
                    $(UnaryOp::$var => unary_family!(@some k $($f)?),)*
                }
            }
        }
    };
    (@some $k:ident) => { None };
    (@some $k:ident $f:expr) => { Some($k.run($f)) };
    ($(
        $(#[$vm:meta])* $var:ident = $code:literal => $tf:literal {
            $(#[$md:meta])* fn $method:ident;
            float: $float:expr,
            $(int: $int:expr,)?
            reference: $reference:expr,
            grad: $(none)? $(|$gx:ident, $gy:ident, $gg:ident| $grad:expr)?,
            exact: $exact:literal, domain: $domain:expr, complex: $complex:literal, weak: $weak:literal,
        }
    )*) => {
        family! {
            /// An elementwise function of one tensor, by TF's kernel name.
            pub enum UnaryOp {
                $($(#[$vm])* $var = $code => $tf,)*
            }
        }

        impl UnaryOp {
            /// Whether the op takes integers (wrapping, as C++ does); the others are float-only, as in TF.
            pub fn takes_ints(self) -> bool {
                match self {
                    $(UnaryOp::$var => unary_family!(@present $($int)?),)*
                }
            }

            /// Whether IEEE rounding makes the op exact in every float dtype (a
            /// float32 result is the float64 reference rounded, bit for bit). Only
            /// these have float64 shader cases: GLSL has no float64 transcendentals.
            pub fn is_exact(self) -> bool {
                match self {
                    $(UnaryOp::$var => $exact,)*
                }
            }

            /// Whether TF registers a gradient (rounding has none: `None`, not zeros).
            pub fn has_gradient(self) -> bool {
                match self {
                    $(UnaryOp::$var => unary_family!(@present $($grad)?),)*
                }
            }

            /// An interval where the op is defined and smooth (but for a kink at
            /// 0), from which the gradient-check and parity tests draw inputs.
            pub fn domain(self) -> (f64, f64) {
                match self {
                    $(UnaryOp::$var => $domain,)*
                }
            }

            /// TF's list of the dtypes the op takes, as its error for any
            /// other dtype says (the ops added for issue 15 name no complex
            /// types, as their TF kernels).
            pub fn allowed_dtypes(self) -> &'static str {
                match self {
                    $(UnaryOp::$var => if $complex {
                        "bfloat16, half, float, double, complex64, complex128"
                    } else {
                        "bfloat16, half, float, double"
                    },)*
                }
            }

            /// Whether a weak input gives a weak result, as TF's weak-tensor
            /// unary wrappers do (the ops added for issue 15 have always
            /// given a strong result).
            pub fn keeps_weak(self) -> bool {
                match self {
                    $(UnaryOp::$var => $weak,)*
                }
            }

            /// The op on one float64 value (NaN, infinities and signed zeros as
            /// the kernels treat them): the reference the property tests hold
            /// every dtype's kernel to. An integer input gives the integer result.
            pub fn reference(self, x: f64) -> f64 {
                match self {
                    $(UnaryOp::$var => call($reference, x),)*
                }
            }

            /// d op(x) / dx times the upstream gradient `g`, written with
            /// tensor ops (`y` is the recorded output: some derivatives are
            /// cheaper from it). `None` where TF registers no gradient.
            #[allow(unused_variables)]
            pub fn gradient<T: GradOps>(self, x: &T, y: &T, g: &T) -> Result<Option<T>> {
                use UnaryOp::*;
                match self {
                    $($var => unary_family!(@grad (x, y, g) $(|$gx, $gy, $gg| $grad)?),)*
                }
            }
        }

        unary_family!(@float f32 $($var $float;)*);
        unary_family!(@float f64 $($var $float;)*);
        unary_family!(@int i32 $($var $($int)?;)*);
        unary_family!(@int i64 $($var $($int)?;)*);
    };
}

for_each_unary!(unary_family);
