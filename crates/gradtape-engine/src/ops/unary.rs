//! Elementwise functions of one tensor: kernels, dtype rules and gradients.

use gradtape_core::{DType, Error, HostData, Result};
use smallvec::{smallvec, SmallVec};

use crate::par;
use crate::pool::BufferPool;
use crate::Tensor;

/// The family's enum is declared once, in the registry both the engine and
/// the Vulkan device see.
pub use gradtape_core::registry::UnaryOp;

/// TF's dtype list in the error for a dtype the op does not take (the ops
/// added for issue 15 list no complex types, as their TF kernels).
fn allowed(op: UnaryOp) -> &'static str {
    if added_in_15(op) {
        "bfloat16, half, float, double"
    } else {
        "bfloat16, half, float, double, complex64, complex128"
    }
}

fn added_in_15(op: UnaryOp) -> bool {
    use UnaryOp::*;
    matches!(op, Log1p | Expm1 | Floor | Ceil | Round | Erf)
}

// Each op gets its own monomorphised loop (a closure per match arm would
// decay to a function pointer and block vectorisation).
macro_rules! float_fn {
    ($op:expr, $t:ty, |$f:ident| $body:expr) => {
        match $op {
            UnaryOp::Neg => { let $f = |x: $t| -x; $body }
            UnaryOp::Abs => { let $f = |x: $t| x.abs(); $body }
            // Zero of either sign gives +0 and NaN stays NaN, as TF's Sign.
            UnaryOp::Sign => { let $f = |x: $t| if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else if x == 0.0 { 0.0 } else { x }; $body }
            UnaryOp::Exp => { let $f = |x: $t| x.exp(); $body }
            UnaryOp::Log => { let $f = |x: $t| x.ln(); $body }
            UnaryOp::Sqrt => { let $f = |x: $t| x.sqrt(); $body }
            UnaryOp::Square => { let $f = |x: $t| x * x; $body }
            UnaryOp::Sin => { let $f = |x: $t| x.sin(); $body }
            UnaryOp::Cos => { let $f = |x: $t| x.cos(); $body }
            UnaryOp::Tanh => { let $f = |x: $t| x.tanh(); $body }
            UnaryOp::Sigmoid => { let $f = |x: $t| 1.0 / (1.0 + (-x).exp()); $body }
            // TF's Relu is max(x, 0) with PropagateNaN: NaN stays NaN.
            UnaryOp::Relu => { let $f = |x: $t| if x > 0.0 || x.is_nan() { x } else { 0.0 }; $body }
            UnaryOp::Log1p => { let $f = |x: $t| x.ln_1p(); $body }
            UnaryOp::Expm1 => { let $f = |x: $t| x.exp_m1(); $body }
            UnaryOp::Floor => { let $f = |x: $t| x.floor(); $body }
            UnaryOp::Ceil => { let $f = |x: $t| x.ceil(); $body }
            UnaryOp::Round => { let $f = |x: $t| x.round_ties_even(); $body }
            UnaryOp::Erf => { let $f = |x: $t| <$t as Erf>::erf(x); $body }
            UnaryOp::Atan => { let $f = |x: $t| x.atan(); $body }
        }
    };
}

macro_rules! int_fn {
    ($op:expr, $t:ty, |$f:ident| $body:expr) => {
        match $op {
            UnaryOp::Neg => { let $f = |x: $t| x.wrapping_neg(); $body }
            UnaryOp::Abs => { let $f = |x: $t| x.wrapping_abs(); $body }
            UnaryOp::Sign => { let $f = |x: $t| x.signum(); $body }
            UnaryOp::Square => { let $f = |x: $t| x.wrapping_mul(x); $body }
            UnaryOp::Relu => { let $f = |x: $t| x.max(0); $body }
            UnaryOp::Round => { let $f = |x: $t| x; $body }
            _ => unreachable!("internal: float-only op on ints was rejected at queue time"),
        }
    };
}

/// libm's erf of each float type (std has none).
trait Erf {
    fn erf(self) -> Self;
}
impl Erf for f32 {
    fn erf(self) -> f32 {
        libm::erff(self)
    }
}
impl Erf for f64 {
    fn erf(self) -> f64 {
        libm::erf(self)
    }
}

pub(crate) fn cpu(op: UnaryOp, x: &HostData, pool: &mut BufferPool) -> HostData {
    macro_rules! run {
        ($v:expr, $t:ty, $variant:ident, $m:ident) => {{
            let mut o = pool.take::<$t>($v.len());
            $m!(op, $t, |f| par::map(&mut o, $v, f));
            HostData::$variant(o)
        }};
    }
    match x {
        HostData::F32(v) => run!(v, f32, F32, float_fn),
        HostData::F64(v) => run!(v, f64, F64, float_fn),
        HostData::I32(v) => run!(v, i32, I32, int_fn),
        HostData::I64(v) => run!(v, i64, I64, int_fn),
        HostData::Bool(_) => unreachable!("internal: bool math was rejected at queue time"),
        _ => unreachable!("internal: narrow dtypes are widened before math kernels (op::run_widened)"),
    }
}

/// d op(x) / dx, times the upstream gradient. Derivatives that need `x`
/// use the recorded input; those that are cheaper from `y` use the output.
pub(crate) fn grad(op: UnaryOp, x: &Tensor, y: &Tensor, g: &Tensor) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    if !op.has_gradient() {
        // TF registers no gradient path through rounding: None.
        return Ok(smallvec![None]);
    }
    let dx = match op {
        UnaryOp::Neg => g.neg()?,
        UnaryOp::Abs => g.mul(&x.sign()?)?,
        // TF's Sign gradient is zeros, not None: d2|x| and d2 relu are connected zeros.
        UnaryOp::Sign => g.zeros_like(),
        UnaryOp::Exp => g.mul(y)?,
        UnaryOp::Log => g.div(x)?,
        // d sqrt(x) = 0.5 / sqrt(x); TF's SqrtGrad gives 0 where the upstream
        // is 0, so an untaken `where` branch at x < 0 passes no NaN.
        UnaryOp::Sqrt => {
            let d = g.mul(&y.scalar_like(0.5).div(y)?)?;
            g.equal(&g.scalar_like(0.0))?.select(&g.zeros_like(), &d)?
        }
        UnaryOp::Square => g.mul(&x.mul(&x.scalar_like(2.0))?)?,
        UnaryOp::Sin => g.mul(&x.cos()?)?,
        UnaryOp::Cos => g.mul(&x.sin()?.neg()?)?,
        // d tanh = 1 - tanh^2
        UnaryOp::Tanh => g.mul(&y.scalar_like(1.0).sub(&y.square()?)?)?,
        // d sigmoid = s (1 - s)
        UnaryOp::Sigmoid => g.mul(&y.mul(&y.scalar_like(1.0).sub(y)?)?)?,
        // TF's ReluGrad is g * (y > 0): 0 where y is NaN. The mask is sign(y)
        // there, so it stays differentiable (d2 relu is connected zeros).
        UnaryOp::Relu => g.mul(&y.greater(&y.scalar_like(0.0))?.select(&y.sign()?, &y.zeros_like())?)?,
        UnaryOp::Log1p => g.div(&x.add(1.0)?)?,
        UnaryOp::Expm1 => g.mul(&y.add(1.0)?)?,
        // d erf = 2/sqrt(pi) exp(-x^2)
        UnaryOp::Erf => g.mul(&x.square()?.neg()?.exp()?.mul(std::f64::consts::FRAC_2_SQRT_PI)?)?,
        // d atan = 1 / (1 + x^2)
        UnaryOp::Atan => g.div(&x.square()?.add(1.0)?)?,
        UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Round => unreachable!("internal: rounding has no gradient"),
    };
    Ok(smallvec![Some(dx)])
}

impl Tensor {
    /// Applies the elementwise primitive `op`, with its dtype rule and TF's
    /// error; every named method (`exp`, `relu`, ...) is this.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// use gradtape_engine::ops::unary::UnaryOp;
    /// assert_eq!(constant([-1.0, 2.0])?.unary(UnaryOp::Relu)?.to_vec::<f32>()?, vec![0.0, 2.0]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        let dt = self.dtype();
        if dt == DType::Bool || (!op.takes_ints() && !dt.is_float()) {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'T' of {} is not in the list of allowed values: {} [Op:{}]",
                dt,
                allowed(op),
                op.name()
            )));
        }
        // Rounding an integer is the integer itself: no kernel runs.
        if op == UnaryOp::Round && dt.is_int() {
            return self.identity();
        }
        let y = Tensor::op(op.into(), &[self], self.shape().clone(), dt)?;
        // TF's weak-tensor unary wrappers keep a weak input weak (the ops
        // added for issue 15 have always given a strong result).
        Ok(if added_in_15(op) { y } else { y.with_weak(self.is_weak()) })
    }

    /// `-x`
    pub fn neg(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Neg)
    }
    /// `tf.abs`
    pub fn abs(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Abs)
    }
    /// `tf.sign`
    pub fn sign(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sign)
    }
    /// `tf.exp`
    pub fn exp(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Exp)
    }
    /// `tf.math.log` (natural)
    pub fn log(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Log)
    }
    /// `tf.sqrt`
    pub fn sqrt(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sqrt)
    }
    /// `tf.square`
    pub fn square(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Square)
    }
    /// `tf.sin`
    pub fn sin(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sin)
    }
    /// `tf.cos`
    pub fn cos(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Cos)
    }
    /// `tf.tanh`
    pub fn tanh(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Tanh)
    }
    /// `tf.sigmoid`
    pub fn sigmoid(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sigmoid)
    }
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
    pub fn relu(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Relu)
    }
    /// `tf.math.log1p`: `log(1 + x)`, exact near 0.
    pub fn log1p(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Log1p)
    }
    /// `tf.math.expm1`: `exp(x) - 1`, exact near 0.
    pub fn expm1(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Expm1)
    }
    /// `tf.floor` (no gradient, as in TF).
    pub fn floor(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Floor)
    }
    /// `tf.math.ceil` (no gradient, as in TF).
    pub fn ceil(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Ceil)
    }
    /// `tf.round`: half to even (`2.5 -> 2`, `-0.5 -> -0`); integers unchanged.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// assert_eq!(constant([0.5, 1.5, 2.5])?.round()?.to_vec::<f32>()?, vec![0.0, 2.0, 2.0]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn round(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Round)
    }
    /// `tf.math.erf`.
    pub fn erf(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Erf)
    }
    /// `tf.math.atan`: the arctangent, in (-pi/2, pi/2).
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let y = constant([1.0, -1e30])?.atan()?.to_vec::<f32>()?;
    /// assert!((y[0] - std::f32::consts::FRAC_PI_4).abs() < 1e-7 && (y[1] + std::f32::consts::FRAC_PI_2).abs() < 1e-7);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn atan(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Atan)
    }
}

/// `op` over block `x` into `o` (as long): the fused CPU path's kernel
/// (`backend/fuse.rs`), with the same per-element functions as [`cpu`].
pub(crate) fn cpu_block(op: UnaryOp, x: crate::block::Block, o: crate::block::BlockMut) {
    use crate::block::{Block as B, BlockMut as M};
    macro_rules! run {
        ($v:expr, $o:expr, $t:ty, $m:ident) => {
            $m!(op, $t, |f| $o.iter_mut().zip($v).for_each(|(o, &x)| *o = f(x)))
        };
    }
    match (x, o) {
        (B::F32(v), M::F32(o)) => run!(v, o, f32, float_fn),
        (B::F64(v), M::F64(o)) => run!(v, o, f64, float_fn),
        (B::I32(v), M::I32(o)) => run!(v, o, i32, int_fn),
        (B::I64(v), M::I64(o)) => run!(v, o, i64, int_fn),
        _ => unreachable!("internal: bool math was rejected at queue time"),
    }
}
