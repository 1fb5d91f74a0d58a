//! Elementwise functions of two tensors with NumPy broadcasting: arithmetic,
//! powers, extrema and comparisons. Kernels, dtype rules, gradients.

use gradtape_core::{broadcast_shapes, DType, Element, Error, HostData, Result, Shape};
use smallvec::{smallvec, SmallVec};

use crate::par;
use crate::pool::BufferPool;
use crate::strided::zip;
use crate::Tensor;

/// The family's enum is declared once, in the registry both the engine and
/// the Vulkan device see.
pub use gradtape_core::registry::BinaryOp;

// Each op gets its own monomorphised loop (a closure per match arm would
// decay to a function pointer and block vectorisation).
macro_rules! arith {
    ($op:expr, $t:ty, float, |$f:ident| $body:expr) => {
        match $op {
            BinaryOp::Add => { let $f = |a: $t, b: $t| a + b; $body }
            BinaryOp::Sub => { let $f = |a: $t, b: $t| a - b; $body }
            BinaryOp::Mul => { let $f = |a: $t, b: $t| a * b; $body }
            BinaryOp::Div => { let $f = |a: $t, b: $t| a / b; $body }
            BinaryOp::FloorDiv => { let $f = |a: $t, b: $t| (a / b).floor(); $body }
            BinaryOp::Pow => { let $f = |a: $t, b: $t| a.powf(b); $body }
            BinaryOp::Maximum => { let $f = |a: $t, b: $t| if a.is_nan() || a > b { a } else { b }; $body }
            BinaryOp::Minimum => { let $f = |a: $t, b: $t| if a.is_nan() || a < b { a } else { b }; $body }
            BinaryOp::FloorMod => {
                let $f = |x: $t, y: $t| {
                    let r = x % y;
                    if r != 0.0 && ((y < 0.0) != (r < 0.0)) { r + y } else { r }
                };
                $body
            }
            BinaryOp::TruncateDiv => { let $f = |x: $t, y: $t| (x / y).trunc(); $body }
            BinaryOp::TruncateMod => { let $f = |x: $t, y: $t| x % y; $body }
            BinaryOp::DivNoNan => { let $f = |x: $t, y: $t| if y == 0.0 { 0.0 } else { x / y }; $body }
            _ => unreachable!("internal: comparisons have their own kernel"),
        }
    };
    ($op:expr, $t:ty, int, |$f:ident| $body:expr) => {
        match $op {
            BinaryOp::Add => { let $f = |a: $t, b: $t| a.wrapping_add(b); $body }
            BinaryOp::Sub => { let $f = |a: $t, b: $t| a.wrapping_sub(b); $body }
            BinaryOp::Mul => { let $f = |a: $t, b: $t| a.wrapping_mul(b); $body }
            // Integer `/` is cast to float64 before it gets here; RealDiv on
            // ints only runs through internal callers, which never divide by 0.
            BinaryOp::Div => { let $f = |a: $t, b: $t| if b == 0 { 0 } else { a.wrapping_div(b) }; $body }
            BinaryOp::FloorDiv => {
                let $f = |a: $t, b: $t| {
                    if b == 0 {
                        0
                    } else {
                        let q = a.wrapping_div(b);
                        if (a.wrapping_rem(b) != 0) && ((a < 0) != (b < 0)) { q - 1 } else { q }
                    }
                };
                $body
            }
            BinaryOp::Pow => { let $f = |a: $t, b: $t| if b < 0 { 0 } else { a.wrapping_pow(b as u32) }; $body }
            BinaryOp::Maximum => { let $f = |a: $t, b: $t| a.max(b); $body }
            BinaryOp::Minimum => { let $f = |a: $t, b: $t| a.min(b); $body }
            BinaryOp::FloorMod => {
                let $f = |x: $t, y: $t| {
                    if y == 0 { return 0; }
                    let r = x.wrapping_rem(y);
                    if r != 0 && ((x < 0) != (y < 0)) { r.wrapping_add(y) } else { r }
                };
                $body
            }
            BinaryOp::TruncateDiv => { let $f = |x: $t, y: $t| if y == 0 { 0 } else { x.wrapping_div(y) }; $body }
            // DivNoNan is float-only: its integer arm is never queued.
            BinaryOp::TruncateMod | BinaryOp::DivNoNan => { let $f = |x: $t, y: $t| if y == 0 { 0 } else { x.wrapping_rem(y) }; $body }
            _ => unreachable!("internal: comparisons have their own kernel"),
        }
    };
}

macro_rules! compare {
    ($op:expr, $t:ty, |$f:ident| $body:expr) => {
        match $op {
            BinaryOp::Equal => { let $f = |a: $t, b: $t| a == b; $body }
            BinaryOp::NotEqual => { let $f = |a: $t, b: $t| a != b; $body }
            BinaryOp::Less => { let $f = |a: $t, b: $t| a < b; $body }
            BinaryOp::LessEqual => { let $f = |a: $t, b: $t| a <= b; $body }
            BinaryOp::Greater => { let $f = |a: $t, b: $t| a > b; $body }
            BinaryOp::GreaterEqual => { let $f = |a: $t, b: $t| a >= b; $body }
            _ => unreachable!("internal: not a comparison"),
        }
    };
}

/// Same-shape and scalar-operand cases run as flat (parallel) loops into a
/// pooled buffer; anything else goes through the strided broadcast.
fn kernel<A: Copy + Sync, B: Copy + Sync, O: Element + Default>(
    a: &[A],
    sa: &Shape,
    b: &[B],
    sb: &Shape,
    out: &Shape,
    f: impl Fn(A, B) -> O + Sync,
    pool: &mut BufferPool,
) -> Vec<O> {
    let n = out.numel();
    if sa == out && sb == out {
        let mut o = pool.take::<O>(n);
        par::zip(&mut o, a, b, f);
        o
    } else if sb.numel() == 1 && sa == out {
        let mut o = pool.take::<O>(n);
        let y = b[0];
        par::map(&mut o, a, |x| f(x, y));
        o
    } else if sa.numel() == 1 && sb == out {
        let mut o = pool.take::<O>(n);
        let x = a[0];
        par::map(&mut o, b, |y| f(x, y));
        o
    } else {
        zip(a, sa, b, sb, out, f)
    }
}

pub(crate) fn cpu(op: BinaryOp, a: &HostData, sa: &Shape, b: &HostData, sb: &Shape, out: &Shape, pool: &mut BufferPool) -> HostData {
    use HostData as H;
    if op.is_comparison() {
        return H::Bool(match (a, b) {
            (H::F32(x), H::F32(y)) => compare!(op, f32, |f| kernel(x, sa, y, sb, out, f, pool)),
            (H::F64(x), H::F64(y)) => compare!(op, f64, |f| kernel(x, sa, y, sb, out, f, pool)),
            (H::I32(x), H::I32(y)) => compare!(op, i32, |f| kernel(x, sa, y, sb, out, f, pool)),
            (H::I64(x), H::I64(y)) => compare!(op, i64, |f| kernel(x, sa, y, sb, out, f, pool)),
            (H::Bool(x), H::Bool(y)) => compare!(op, bool, |f| kernel(x, sa, y, sb, out, f, pool)),
            _ => unreachable!("internal: operand dtypes were checked at queue time"),
        });
    }
    match (a, b) {
        (H::F32(x), H::F32(y)) => H::F32(arith!(op, f32, float, |f| kernel(x, sa, y, sb, out, f, pool))),
        (H::F64(x), H::F64(y)) => H::F64(arith!(op, f64, float, |f| kernel(x, sa, y, sb, out, f, pool))),
        (H::I32(x), H::I32(y)) => H::I32(arith!(op, i32, int, |f| kernel(x, sa, y, sb, out, f, pool))),
        (H::I64(x), H::I64(y)) => H::I64(arith!(op, i64, int, |f| kernel(x, sa, y, sb, out, f, pool))),
        _ => unreachable!("internal: operand dtypes were checked at queue time"),
    }
}

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

/// `op` over block `a` and `b` (each as long as `o`, or one element) into
/// `o`: the fused CPU path's kernel (`backend/fuse.rs`), with the same
/// per-element functions as [`cpu`], so the same bits.
pub(crate) fn cpu_block(op: BinaryOp, a: crate::block::Block, b: crate::block::Block, o: crate::block::BlockMut) {
    use crate::block::{zip_into, Block as B, BlockMut as M};
    if op.is_comparison() {
        match (a, b, o) {
            (B::F32(x), B::F32(y), M::Bool(o)) => compare!(op, f32, |f| zip_into(x, y, o, f)),
            (B::F64(x), B::F64(y), M::Bool(o)) => compare!(op, f64, |f| zip_into(x, y, o, f)),
            (B::I32(x), B::I32(y), M::Bool(o)) => compare!(op, i32, |f| zip_into(x, y, o, f)),
            (B::I64(x), B::I64(y), M::Bool(o)) => compare!(op, i64, |f| zip_into(x, y, o, f)),
            (B::Bool(x), B::Bool(y), M::Bool(o)) => compare!(op, bool, |f| zip_into(x, y, o, f)),
            _ => unreachable!("internal: operand dtypes were checked at queue time"),
        }
        return;
    }
    match (a, b, o) {
        (B::F32(x), B::F32(y), M::F32(o)) => arith!(op, f32, float, |f| zip_into(x, y, o, f)),
        (B::F64(x), B::F64(y), M::F64(o)) => arith!(op, f64, float, |f| zip_into(x, y, o, f)),
        (B::I32(x), B::I32(y), M::I32(o)) => arith!(op, i32, int, |f| zip_into(x, y, o, f)),
        (B::I64(x), B::I64(y), M::I64(o)) => arith!(op, i64, int, |f| zip_into(x, y, o, f)),
        _ => unreachable!("internal: operand dtypes were checked at queue time"),
    }
}
