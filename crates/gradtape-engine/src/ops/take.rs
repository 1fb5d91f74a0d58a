//! Gathers and scatters by host-computed flat offsets: `Take` reads
//! `x[offsets[i]]`, `Put` sums (or maxes, mins) `u[i]` into `offsets[i]` of a
//! zero tensor. TF validates indices when its kernel runs; gradtape reads
//! them at the call (to raise TF's errors there), so the offsets are known
//! and these two primitives serve gather, gather_nd, boolean_mask and the
//! scatters. Each is the other's gradient. The kernels are in
//! `kernels/take.rs`.

use std::sync::Arc;

use gradtape_core::{Result, Shape};
use smallvec::{smallvec, SmallVec};

use super::ext::{op, ExtOp};
pub use crate::op::Combine;
use crate::Tensor;

/// Batched gradients: the leading `batch` dims of `g` repeat the offsets.
fn batched(offsets: &Arc<[usize]>, batch_n: usize, stride: usize) -> Arc<[usize]> {
    if batch_n == 1 {
        return offsets.clone();
    }
    (0..batch_n).flat_map(|b| offsets.iter().map(move |&o| b * stride + o)).collect()
}

pub(crate) fn take_grad(offsets: &Arc<[usize]>, x: &Tensor, g: &Tensor, batch: usize) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let lead = &g.dims()[..batch];
    let bn: usize = lead.iter().product();
    let mut dims = lead.to_vec();
    dims.extend_from_slice(x.dims());
    let offs = batched(offsets, bn, x.numel());
    Ok(smallvec![Some(g.put(offs, Shape::new(&dims), Combine::Add)?)])
}

pub(crate) fn put_grad(offsets: &Arc<[usize]>, how: Combine, u: &Tensor, g: &Tensor, batch: usize) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    if how != Combine::Add {
        return Ok(smallvec![None]);
    }
    let lead = &g.dims()[..batch];
    let bn: usize = lead.iter().product();
    let n = g.numel() / bn.max(1);
    let mut dims = lead.to_vec();
    dims.extend_from_slice(u.dims());
    Ok(smallvec![Some(g.take(batched(offsets, bn, n), Shape::new(&dims))?)])
}

impl Tensor {
    /// `out[i] = self.flat[offsets[i]]`, shaped `shape`; offsets must be in range.
    pub(crate) fn take(&self, offsets: Arc<[usize]>, shape: Shape) -> Result<Tensor> {
        debug_assert_eq!(offsets.len(), shape.numel());
        op(ExtOp::Take { offsets }, &[self], shape, self.dtype())
    }

    /// A tensor shaped `shape` with `self.flat[i]` combined into `offsets[i]`.
    pub(crate) fn put(&self, offsets: Arc<[usize]>, shape: Shape, how: Combine) -> Result<Tensor> {
        debug_assert_eq!(offsets.len(), self.numel());
        op(ExtOp::Put { offsets, how }, &[self], shape, self.dtype())
    }
}
