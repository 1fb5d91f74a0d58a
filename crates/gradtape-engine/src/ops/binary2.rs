//! Elementwise functions of two broadcast tensors beyond `BinaryOp`'s:
//! floor modulo, truncating division and modulo, and `divide_no_nan`.

use gradtape_core::{broadcast_shapes, DType, Error, HostData, Result, Shape};
use smallvec::{smallvec, SmallVec};

use super::binary::when;
use super::ext::{op, ExtOp};
use crate::strided::zip;
use crate::Tensor;

/// An added elementwise op on two tensors, by TF's kernel name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary2 {
    /// `FloorMod`: the remainder takes the divisor's sign.
    FloorMod,
    /// `TruncateDiv`: division rounded toward zero.
    TruncateDiv,
    /// `TruncateMod`: the remainder takes the dividend's sign (C's `%`, `fmod`).
    TruncateMod,
    /// `DivNoNan`: `x / y`, or 0 where `y == 0`.
    DivNoNan,
}

impl Binary2 {
    /// TF's op name.
    pub fn name(self) -> &'static str {
        match self {
            Binary2::FloorMod => "FloorMod",
            Binary2::TruncateDiv => "TruncateDiv",
            Binary2::TruncateMod => "TruncateMod",
            Binary2::DivNoNan => "DivNoNan",
        }
    }
}

macro_rules! float_kernel {
    ($op:expr, $t:ty) => {
        match $op {
            Binary2::FloorMod => |x: $t, y: $t| {
                let r = x % y;
                if r != 0.0 && ((y < 0.0) != (r < 0.0)) { r + y } else { r }
            },
            Binary2::TruncateDiv => |x: $t, y: $t| (x / y).trunc(),
            Binary2::TruncateMod => |x: $t, y: $t| x % y,
            Binary2::DivNoNan => |x: $t, y: $t| if y == 0.0 { 0.0 } else { x / y },
        }
    };
}

macro_rules! int_kernel {
    ($op:expr, $t:ty) => {
        match $op {
            Binary2::FloorMod => |x: $t, y: $t| {
                if y == 0 { return 0; }
                let r = x.wrapping_rem(y);
                if r != 0 && ((x < 0) != (y < 0)) { r.wrapping_add(y) } else { r }
            },
            Binary2::TruncateDiv => |x: $t, y: $t| if y == 0 { 0 } else { x.wrapping_div(y) },
            Binary2::TruncateMod | Binary2::DivNoNan => |x: $t, y: $t| if y == 0 { 0 } else { x.wrapping_rem(y) },
        }
    };
}

pub(crate) fn cpu(b: Binary2, x: &HostData, sx: &Shape, y: &HostData, sy: &Shape, out: &Shape) -> HostData {
    use HostData as H;
    match (x, y) {
        (H::F32(a), H::F32(c)) => H::F32(zip(a, sx, c, sy, out, float_kernel!(b, f32))),
        (H::F64(a), H::F64(c)) => H::F64(zip(a, sx, c, sy, out, float_kernel!(b, f64))),
        (H::I32(a), H::I32(c)) => H::I32(zip(a, sx, c, sy, out, int_kernel!(b, i32))),
        (H::I64(a), H::I64(c)) => H::I64(zip(a, sx, c, sy, out, int_kernel!(b, i64))),
        _ => unreachable!("internal: operand dtypes were checked at queue time"),
    }
}

pub(crate) fn grad(
    b: Binary2,
    x: &Tensor,
    y: &Tensor,
    g: &Tensor,
    batch: usize,
    needs: &[bool],
) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let (gx, gy) = match b {
        // TF: (g, -g * floor(x / y)).
        Binary2::FloorMod => (
            when(needs[0], || Ok(g.clone()))?,
            when(needs[1], || g.mul(&x.div(y)?.floor()?)?.neg())?,
        ),
        // TF: (div_no_nan(g, y), g * div_no_nan(div_no_nan(-x, y), y)).
        Binary2::DivNoNan => (
            when(needs[0], || g.div_no_nan(y))?,
            when(needs[1], || g.mul(&x.neg()?.div_no_nan(y)?.div_no_nan(y)?))?,
        ),
        Binary2::TruncateDiv | Binary2::TruncateMod => (None, None),
    };
    Ok(smallvec![
        gx.map(|d| d.sum_to(x.shape(), batch)).transpose()?,
        gy.map(|d| d.sum_to(y.shape(), batch)).transpose()?
    ])
}

impl Tensor {
    fn binary2(&self, b: Binary2, y: &Tensor) -> Result<Tensor> {
        let name = b.name();
        if self.dtype() != y.dtype() {
            return Err(Error::InvalidArgument(format!(
                "cannot compute {name} as input #1(zero-based) was expected to be a {} tensor but is a {} tensor [Op:{name}]",
                self.dtype().kernel_name(),
                y.dtype().kernel_name()
            )));
        }
        let dt = self.dtype();
        let allowed = if b == Binary2::DivNoNan { dt.is_float() } else { dt.is_float() || dt.is_int() };
        if !allowed {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'T' of {dt} is not in the list of allowed values [Op:{name}]"
            )));
        }
        let shape = broadcast_shapes(self.shape(), y.shape()).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "Incompatible shapes: {} vs. {} [Op:{name}]",
                self.shape().bracketed(),
                y.shape().bracketed()
            ))
        })?;
        // Integer division by zero is an error when the op runs in TF:
        // gradtape reads the divisor now to raise it at the call.
        if dt.is_int() && y.try_data()?.to_f64_vec().contains(&0.0) {
            return Err(if b == Binary2::TruncateDiv {
                Error::Internal(format!(
                    "Unexpected error in binary operator (only integer div and mod should have errors) [Op:{name}]"
                ))
            } else {
                Error::InvalidArgument(format!("Integer division by zero [Op:{name}]"))
            });
        }
        op(ExtOp::Binary(b), &[self, y], shape, dt)
    }

    /// `tf.math.floormod`: `x - floor(x / y) * y`, the divisor's sign.
    pub fn floormod(&self, y: &Tensor) -> Result<Tensor> {
        self.binary2(Binary2::FloorMod, y)
    }
    /// `tf.truncatediv`: division rounded toward zero.
    pub fn truncatediv(&self, y: &Tensor) -> Result<Tensor> {
        self.binary2(Binary2::TruncateDiv, y)
    }
    /// `tf.truncatemod`: the remainder with the dividend's sign.
    pub fn truncatemod(&self, y: &Tensor) -> Result<Tensor> {
        self.binary2(Binary2::TruncateMod, y)
    }
    /// `tf.math.divide_no_nan`: `x / y`, 0 where `y == 0`; `y` may be a Python number.
    pub fn div_no_nan<'b>(&self, y: impl crate::IntoOperand<'b>) -> Result<Tensor> {
        let y = match y.into_operand() {
            crate::Operand::Tensor(t) => t.into_owned(),
            crate::Operand::Int(i) => self.engine().constant_with(i, self.dtype())?,
            crate::Operand::Float(f) => self.engine().constant_with(f, if self.dtype().is_float() { self.dtype() } else { DType::F32 })?,
        };
        self.binary2(Binary2::DivNoNan, &y)
    }
}
