//! `tf.cast` and `tf.where` (SelectV2): dtype conversion and selection;
//! the select kernel is in `kernels/cast.rs`.

use gradtape_core::{broadcast_shapes, DType, Error, Result};
use smallvec::{smallvec, SmallVec};

use crate::op::CastOp;
use crate::ops::binary::when;
use crate::{AsTensor, IntoOperand, Tensor};

/// Cast's gradient: cast back between float types; none into or out of ints.
pub(crate) fn cast_grad(x: &Tensor, y: &Tensor, g: &Tensor) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    if x.dtype().is_float() && y.dtype().is_float() {
        Ok(smallvec![Some(g.cast(x.dtype())?)])
    } else {
        Ok(smallvec![None])
    }
}

pub(crate) fn select_grad(inputs: &[Tensor], g: &Tensor, batch: usize, needs: &[bool]) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let (c, a, b) = (&inputs[0], &inputs[1], &inputs[2]);
    let zeros = g.zeros_like();
    let ga = when(needs[1], || c.select(g, &zeros)?.sum_to(a.shape(), batch))?;
    let gb = when(needs[2], || c.select(&zeros, g)?.sum_to(b.shape(), batch))?;
    Ok(smallvec![None, ga, gb])
}

impl Tensor {
    /// `tf.cast(self, dtype)`: float to int truncates toward zero.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// # use gradtape_core::DType;
    /// let x = constant([-1.7, 2.5])?;
    /// assert_eq!(x.cast(DType::I32)?.to_vec::<i32>()?, vec![-1, 2]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn cast(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        Tensor::op(CastOp::Cast.into(), &[self], self.shape().clone(), dtype)
    }

    /// `tf.where(self, a, b)`: `a` where `self` is true, else `b`, broadcasting all three.
    /// A branch may be a variable or a literal, which takes the other branch's dtype.
    pub fn select<'a, 'b>(&self, a: impl IntoOperand<'a>, b: impl IntoOperand<'b>) -> Result<Tensor> {
        let (a, b) = crate::as_tensor::branches(self.engine(), a.into_operand(), b.into_operand())?;
        let (a, b) = (&a, &b);
        if self.dtype() != DType::Bool {
            return Err(Error::InvalidArgument(format!(
                "cannot compute SelectV2 as input #0(zero-based) was expected to be a bool tensor but is a {} tensor [Op:SelectV2]",
                self.dtype().kernel_name()
            )));
        }
        if a.dtype() != b.dtype() {
            return Err(Error::InvalidArgument(format!(
                "cannot compute SelectV2 as input #2(zero-based) was expected to be a {} tensor but is a {} tensor [Op:SelectV2]",
                a.dtype().kernel_name(),
                b.dtype().kernel_name()
            )));
        }
        let incompatible = || {
            Error::InvalidArgument(format!(
                "condition [{}], then [{}], and else [{}] must be broadcastable [Op:SelectV2]",
                self.shape().bracketed().trim_matches(['[', ']']),
                a.shape().bracketed().trim_matches(['[', ']']),
                b.shape().bracketed().trim_matches(['[', ']'])
            ))
        };
        let ab = broadcast_shapes(a.shape(), b.shape()).ok_or_else(incompatible)?;
        let out = broadcast_shapes(self.shape(), &ab).ok_or_else(incompatible)?;
        Tensor::op(CastOp::Select.into(), &[self, a, b], out, a.dtype())
    }
}

/// `tf.where(cond, a, b)`. Either branch may be a tensor, a variable or
/// a literal; a literal takes the other branch's dtype, as in TF.
///
/// ```
/// # use gradtape_engine::*;
/// let x = constant([-1.0, 2.0, -3.0])?;
/// let positive = x.greater(0.0)?;
/// // tf.where(positive, x, 0.0)
/// let y = where_(&positive, &x, 0.0)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.0, 2.0, 0.0]);
/// // tf.where(positive, x, tf.zeros_like(x))
/// assert_eq!(where_(&positive, &x, &x.zeros_like())?.to_vec::<f32>()?, vec![0.0, 2.0, 0.0]);
/// // tf.where(positive, 1, x_int)  -> int32, the tensor branch's dtype
/// let xi = constant([5, 6, 7])?;
/// assert_eq!(where_(&positive, 1, &xi)?.to_vec::<i32>()?, vec![5, 1, 7]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn where_<'a, 'b>(cond: impl AsTensor, a: impl IntoOperand<'a>, b: impl IntoOperand<'b>) -> Result<Tensor> {
    cond.as_tensor().select(a, b)
}
