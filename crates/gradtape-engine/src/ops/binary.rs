//! Elementwise functions of two tensors with NumPy broadcasting: arithmetic,
//! powers, extrema and comparisons. Dtype rules, gradients, methods; the
//! kernels are in `kernels/binary.rs`.

use gradtape_core::{broadcast_shapes, DType, Error, Result};
use smallvec::{smallvec, SmallVec};

use crate::Tensor;

/// The family's enum is declared once, in the registry both the engine and
/// the Vulkan device see.
pub use gradtape_core::registry::BinaryOp;

/// Gradients of `z = op(a, b)`; `g` is `batch dims ++ z.shape`.
pub(crate) fn grad(
    op: BinaryOp,
    a: &Tensor,
    b: &Tensor,
    z: &Tensor,
    g: &Tensor,
    batch: usize,
    needs: &[bool],
) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let (na, nb) = (needs[0], needs[1]);
    let (ga, gb) = match op {
        BinaryOp::Add => (when(na, || Ok(g.clone()))?, when(nb, || Ok(g.clone()))?),
        BinaryOp::Sub => (when(na, || Ok(g.clone()))?, when(nb, || g.neg())?),
        BinaryOp::Mul => (when(na, || g.mul(b))?, when(nb, || g.mul(a))?),
        // d(a/b) = 1/b da - a/b^2 db
        BinaryOp::Div => (when(na, || g.div(b))?, when(nb, || g.mul(&a.div(&b.square()?)?.neg()?))?),
        // d(a^b) = b a^(b-1) da + a^b ln(a) db, with ln taken as 0 where a <= 0 (TF's rule)
        BinaryOp::Pow => (
            when(na, || g.mul(&b.mul(&a.pow(&b.sub(&b.scalar_like(1.0))?)?)?))?,
            when(nb, || {
                let pos = a.greater(&a.scalar_like(0.0))?;
                let safe_a = pos.select(a, &a.ones_like())?;
                let log_a = pos.select(&safe_a.log()?, &a.zeros_like())?;
                g.mul(&z.mul(&log_a)?)
            })?,
        ),
        BinaryOp::Maximum | BinaryOp::Minimum => {
            let mask = if op == BinaryOp::Maximum { a.greater_equal(b)? } else { a.less_equal(b)? };
            let ma = mask.cast(g.dtype())?;
            (when(na, || g.mul(&ma))?, when(nb, || g.mul(&a.scalar_like(1.0).cast(g.dtype())?.sub(&ma)?))?)
        }
        // TF: (g, -g * floor(a / b)).
        BinaryOp::FloorMod => (when(na, || Ok(g.clone()))?, when(nb, || g.mul(&a.div(b)?.floor()?)?.neg())?),
        // TF: (div_no_nan(g, b), g * div_no_nan(div_no_nan(-a, b), b)).
        BinaryOp::DivNoNan => (
            when(na, || g.div_no_nan(b))?,
            when(nb, || g.mul(&a.neg()?.div_no_nan(b)?.div_no_nan(b)?))?,
        ),
        _ => (None, None),
    };
    Ok(smallvec![
        ga.map(|d| d.sum_to(a.shape(), batch)).transpose()?,
        gb.map(|d| d.sum_to(b.shape(), batch)).transpose()?
    ])
}

/// `f()` when `cond`: the gradient of an input no one asked for is never built.
pub(crate) fn when(cond: bool, f: impl FnOnce() -> Result<Tensor>) -> Result<Option<Tensor>> {
    if cond {
        f().map(Some)
    } else {
        Ok(None)
    }
}

/// The kernel-level op: same dtypes, broadcastable shapes, else TF's errors.
pub(crate) fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.dtype() != b.dtype() {
        return Err(Error::InvalidArgument(format!(
            "cannot compute {} as input #1(zero-based) was expected to be a {} tensor but is a {} tensor [Op:{}]",
            op.name(),
            a.dtype().kernel_name(),
            b.dtype().kernel_name(),
            op.name()
        )));
    }
    let dt = a.dtype();
    let takes = if dt == DType::Bool { op.takes_bools() } else { dt.is_float() || op.takes_ints() };
    if !takes {
        return Err(Error::InvalidArgument(format!(
            "Value for attr 'T' of {dt} is not in the list of allowed values [Op:{}]",
            op.name()
        )));
    }
    let shape = broadcast_shapes(a.shape(), b.shape()).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "Incompatible shapes: {} vs. {} [Op:{}]",
            a.shape().bracketed(),
            b.shape().bracketed(),
            op.name()
        ))
    })?;
    int_domain(op, b)?;
    let out_dt = if op.is_comparison() { DType::Bool } else { dt };
    Tensor::op(op.into(), &[a, b], shape, out_dt)
}

/// TF's integer kernels fail on a zero divisor or a negative exponent when
/// they run; a lazy engine would report that at some later flush, so the
/// right operand's value is read now (integer ops are cheap) and the call
/// itself returns TF's error, before anything is queued.
fn int_domain(op: BinaryOp, b: &Tensor) -> Result<()> {
    use BinaryOp::*;
    if !b.dtype().is_int() || !matches!(op, FloorDiv | Pow | FloorMod | TruncateDiv | TruncateMod) {
        return Ok(());
    }
    let bad = |v: &[f64]| if op == Pow { v.iter().any(|&x| x < 0.0) } else { v.contains(&0.0) };
    if bad(&b.try_data()?.to_f64_vec()) {
        let name = op.name();
        return Err(match op {
            Pow => Error::InvalidArgument("Integers to negative integer powers are not allowed [Op:Pow]".to_string()),
            TruncateDiv => Error::Internal(format!(
                "Unexpected error in binary operator (only integer div and mod should have errors) [Op:{name}]"
            )),
            _ => Error::InvalidArgument(format!("Integer division by zero [Op:{name}]")),
        });
    }
    Ok(())
}

impl Tensor {
    /// Applies the elementwise primitive `op` to `self` and `b` as TF's
    /// kernel does: same dtypes, broadcast shapes, the op's dtype rule and
    /// TF's errors. Unlike the `/` operator, `RealDiv` of integers stays
    /// integer (truncating), and an integer zero divisor is TF's error.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// use gradtape_engine::ops::binary::BinaryOp;
    /// let q = constant([7, -7])?.binary(BinaryOp::FloorDiv, &constant([2, 2])?)?;
    /// assert_eq!(q.to_vec::<i32>()?, vec![3, -4]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn binary(&self, op: BinaryOp, b: &Tensor) -> Result<Tensor> {
        if op == BinaryOp::Div && self.dtype() == b.dtype() && b.dtype().is_int() && b.try_data()?.to_f64_vec().contains(&0.0) {
            return Err(Error::InvalidArgument("Integer division by zero [Op:RealDiv]".to_string()));
        }
        binary(op, self, b)
    }

    /// `tf.math.floormod`: `x - floor(x / y) * y`, the divisor's sign.
    pub fn floormod(&self, y: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::FloorMod, self, y)
    }
    /// `tf.truncatediv`: division rounded toward zero.
    pub fn truncatediv(&self, y: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::TruncateDiv, self, y)
    }
    /// `tf.truncatemod`: the remainder with the dividend's sign.
    pub fn truncatemod(&self, y: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::TruncateMod, self, y)
    }
    /// `tf.math.divide_no_nan`: `x / y`, 0 where `y == 0`; `y` may be a Python number.
    pub fn div_no_nan<'b>(&self, y: impl crate::IntoOperand<'b>) -> Result<Tensor> {
        let y = match y.into_operand() {
            crate::Operand::Tensor(t) => t.into_owned(),
            crate::Operand::Int(i) => self.engine().constant_with(i, self.dtype())?,
            crate::Operand::Float(f) => self.engine().constant_with(f, if self.dtype().is_float() { self.dtype() } else { DType::F32 })?,
        };
        binary(BinaryOp::DivNoNan, self, &y)
    }
}
