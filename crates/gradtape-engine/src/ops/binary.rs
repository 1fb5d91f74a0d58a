//! Elementwise functions of two tensors with NumPy broadcasting: arithmetic,
//! powers, extrema and comparisons. Kernels, dtype rules, gradients.

use gradtape_core::{broadcast_shapes, DType, Error, HostData, Result, Shape};
use smallvec::{smallvec, SmallVec};

use crate::op::OpKind;
use crate::strided::zip;
use crate::Tensor;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Pow,
    Maximum,
    Minimum,
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

impl BinaryOp {
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "AddV2",
            BinaryOp::Sub => "Sub",
            BinaryOp::Mul => "Mul",
            BinaryOp::Div => "RealDiv",
            BinaryOp::FloorDiv => "FloorDiv",
            BinaryOp::Pow => "Pow",
            BinaryOp::Maximum => "Maximum",
            BinaryOp::Minimum => "Minimum",
            BinaryOp::Equal => "Equal",
            BinaryOp::NotEqual => "NotEqual",
            BinaryOp::Less => "Less",
            BinaryOp::LessEqual => "LessEqual",
            BinaryOp::Greater => "Greater",
            BinaryOp::GreaterEqual => "GreaterEqual",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Equal
                | BinaryOp::NotEqual
                | BinaryOp::Less
                | BinaryOp::LessEqual
                | BinaryOp::Greater
                | BinaryOp::GreaterEqual
        )
    }
}

macro_rules! arith {
    ($op:expr, $t:ty, float) => {
        match $op {
            BinaryOp::Add => |a: $t, b: $t| a + b,
            BinaryOp::Sub => |a: $t, b: $t| a - b,
            BinaryOp::Mul => |a: $t, b: $t| a * b,
            BinaryOp::Div => |a: $t, b: $t| a / b,
            BinaryOp::FloorDiv => |a: $t, b: $t| (a / b).floor(),
            BinaryOp::Pow => |a: $t, b: $t| a.powf(b),
            BinaryOp::Maximum => |a: $t, b: $t| if a.is_nan() || a > b { a } else { b },
            BinaryOp::Minimum => |a: $t, b: $t| if a.is_nan() || a < b { a } else { b },
            _ => unreachable!("internal: comparisons have their own kernel"),
        }
    };
    ($op:expr, $t:ty, int) => {
        match $op {
            BinaryOp::Add => |a: $t, b: $t| a.wrapping_add(b),
            BinaryOp::Sub => |a: $t, b: $t| a.wrapping_sub(b),
            BinaryOp::Mul => |a: $t, b: $t| a.wrapping_mul(b),
            // Integer `/` is cast to float64 before it gets here; RealDiv on
            // ints only runs through internal callers, which never divide by 0.
            BinaryOp::Div => |a: $t, b: $t| if b == 0 { 0 } else { a.wrapping_div(b) },
            BinaryOp::FloorDiv => |a: $t, b: $t| {
                if b == 0 {
                    0
                } else {
                    let q = a.wrapping_div(b);
                    if (a % b != 0) && ((a < 0) != (b < 0)) { q - 1 } else { q }
                }
            },
            BinaryOp::Pow => |a: $t, b: $t| if b < 0 { 0 } else { a.wrapping_pow(b as u32) },
            BinaryOp::Maximum => |a: $t, b: $t| a.max(b),
            BinaryOp::Minimum => |a: $t, b: $t| a.min(b),
            _ => unreachable!("internal: comparisons have their own kernel"),
        }
    };
}

macro_rules! compare {
    ($op:expr, $t:ty) => {
        match $op {
            BinaryOp::Equal => |a: $t, b: $t| a == b,
            BinaryOp::NotEqual => |a: $t, b: $t| a != b,
            BinaryOp::Less => |a: $t, b: $t| a < b,
            BinaryOp::LessEqual => |a: $t, b: $t| a <= b,
            BinaryOp::Greater => |a: $t, b: $t| a > b,
            BinaryOp::GreaterEqual => |a: $t, b: $t| a >= b,
            _ => unreachable!("internal: not a comparison"),
        }
    };
}

pub(crate) fn cpu(op: BinaryOp, a: &HostData, sa: &Shape, b: &HostData, sb: &Shape, out: &Shape) -> HostData {
    use HostData as H;
    if op.is_comparison() {
        return H::Bool(match (a, b) {
            (H::F32(x), H::F32(y)) => zip(x, sa, y, sb, out, compare!(op, f32)),
            (H::F64(x), H::F64(y)) => zip(x, sa, y, sb, out, compare!(op, f64)),
            (H::I32(x), H::I32(y)) => zip(x, sa, y, sb, out, compare!(op, i32)),
            (H::I64(x), H::I64(y)) => zip(x, sa, y, sb, out, compare!(op, i64)),
            (H::Bool(x), H::Bool(y)) => zip(x, sa, y, sb, out, compare!(op, bool)),
            _ => unreachable!("internal: operand dtypes were checked at queue time"),
        });
    }
    match (a, b) {
        (H::F32(x), H::F32(y)) => H::F32(zip(x, sa, y, sb, out, arith!(op, f32, float))),
        (H::F64(x), H::F64(y)) => H::F64(zip(x, sa, y, sb, out, arith!(op, f64, float))),
        (H::I32(x), H::I32(y)) => H::I32(zip(x, sa, y, sb, out, arith!(op, i32, int))),
        (H::I64(x), H::I64(y)) => H::I64(zip(x, sa, y, sb, out, arith!(op, i64, int))),
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
) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let (ga, gb) = match op {
        BinaryOp::Add => (g.clone(), g.clone()),
        BinaryOp::Sub => (g.clone(), g.neg()?),
        BinaryOp::Mul => (g.mul(b)?, g.mul(a)?),
        // d(a/b) = 1/b da - a/b^2 db
        BinaryOp::Div => (g.div(b)?, g.mul(&a.div(&b.square()?)?.neg()?)?),
        // d(a^b) = b a^(b-1) da + a^b ln(a) db, with ln taken as 0 where a <= 0 (TF's rule)
        BinaryOp::Pow => {
            let one = b.scalar_like(1.0);
            let da = g.mul(&b.mul(&a.pow(&b.sub(&one)?)?)?)?;
            let zero = a.scalar_like(0.0);
            let pos = a.greater(&zero)?;
            let safe_a = pos.select(a, &a.ones_like())?;
            let log_a = pos.select(&safe_a.log()?, &a.zeros_like())?;
            (da, g.mul(&z.mul(&log_a)?)?)
        }
        BinaryOp::Maximum | BinaryOp::Minimum => {
            let mask = if op == BinaryOp::Maximum { a.greater_equal(b)? } else { a.less_equal(b)? };
            let dt = g.dtype();
            let ma = mask.cast(dt)?;
            let mb = a.scalar_like(1.0).cast(dt)?.sub(&ma)?;
            (g.mul(&ma)?, g.mul(&mb)?)
        }
        _ => return Ok(smallvec![None, None]),
    };
    Ok(smallvec![Some(ga.sum_to(a.shape(), batch)?), Some(gb.sum_to(b.shape(), batch)?)])
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
    if dt == DType::Bool && !matches!(op, BinaryOp::Equal | BinaryOp::NotEqual) {
        return Err(Error::InvalidArgument(format!(
            "Value for attr 'T' of bool is not in the list of allowed values [Op:{}]",
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
    let out_dt = if op.is_comparison() { DType::Bool } else { dt };
    Tensor::op(OpKind::Binary(op), &[a, b], shape, out_dt)
}
