//! Elementwise functions of one tensor: kernels, dtype rules and gradients.

use gradtape_core::{DType, Error, HostData, Result};
use smallvec::{smallvec, SmallVec};

use crate::op::OpKind;
use crate::par;
use crate::pool::BufferPool;
use crate::Tensor;

/// An elementwise function of one tensor, by TF's kernel name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `|x|`
    Abs,
    /// -1, 0 or 1
    Sign,
    /// `e^x`
    Exp,
    /// natural log
    Log,
    /// square root
    Sqrt,
    /// `x * x`
    Square,
    /// sine
    Sin,
    /// cosine
    Cos,
    /// hyperbolic tangent
    Tanh,
    /// `1 / (1 + e^-x)`
    Sigmoid,
    /// `max(x, 0)`
    Relu,
}

impl UnaryOp {
    /// TF's op name, as in `[Op:Exp]`.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "Neg",
            UnaryOp::Abs => "Abs",
            UnaryOp::Sign => "Sign",
            UnaryOp::Exp => "Exp",
            UnaryOp::Log => "Log",
            UnaryOp::Sqrt => "Sqrt",
            UnaryOp::Square => "Square",
            UnaryOp::Sin => "Sin",
            UnaryOp::Cos => "Cos",
            UnaryOp::Tanh => "Tanh",
            UnaryOp::Sigmoid => "Sigmoid",
            UnaryOp::Relu => "Relu",
        }
    }

    /// Transcendentals have float kernels only, as in TF.
    fn float_only(self) -> bool {
        !matches!(self, UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Sign | UnaryOp::Square | UnaryOp::Relu)
    }
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
            _ => unreachable!("internal: float-only op on ints was rejected at queue time"),
        }
    };
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
    }
}

/// d op(x) / dx, times the upstream gradient. Derivatives that need `x`
/// use the recorded input; those that are cheaper from `y` use the output.
pub(crate) fn grad(op: UnaryOp, x: &Tensor, y: &Tensor, g: &Tensor) -> Result<SmallVec<[Option<Tensor>; 2]>> {
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
    };
    Ok(smallvec![Some(dx)])
}

impl Tensor {
    fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        let dt = self.dtype();
        if dt == DType::Bool || (op.float_only() && !dt.is_float()) {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'T' of {} is not in the list of allowed values: bfloat16, half, float, double, complex64, complex128 [Op:{}]",
                dt, op.name()
            )));
        }
        // TF's weak-tensor unary wrappers keep a weak input weak.
        Ok(Tensor::op(OpKind::Unary(op), &[self], self.shape().clone(), dt)?.with_weak(self.is_weak()))
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
