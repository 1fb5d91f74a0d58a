//! The primitives added for the TF functions a user reaches for (issue 15),
//! behind one `OpKind::Ext` hook: each family lives in its own file with its
//! gradient rule, its kernel in `kernels/` under the same name. All but `TopKIndices` and `Custom` have Vulkan kernels;
//! the planner runs the others on the CPU (see `vulkan/lower.rs`). The elementwise ones became
//! `UnaryOp` / `BinaryOp` primitives of the registry.

use gradtape_core::{DType, Result, Shape};
use smallvec::SmallVec;

use super::scan;
use super::take;
use super::topk;
pub use crate::op::ExtOp;
use crate::Tensor;

/// Queues an added primitive.
pub(crate) fn op(kind: ExtOp, inputs: &[&Tensor], shape: Shape, dtype: DType) -> Result<Tensor> {
    Tensor::op(kind.into(), inputs, shape, dtype)
}

/// The gradient rule of an added primitive (see `ops::gradient`).
pub(crate) fn grad(
    kind: &ExtOp,
    inputs: &[Tensor],
    _output: &Tensor,
    g: &Tensor,
    batch: usize,
    _needs: &[bool],
) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    match kind {
        ExtOp::Scan { op, axis, exclusive, reverse } => {
            scan::grad(*op, *axis + batch, *exclusive, *reverse, &inputs[0], g)
        }
        ExtOp::TopKIndices { .. } => Ok(smallvec::smallvec![None]),
        ExtOp::GatherLast => topk::gather_last_grad(&inputs[0], &inputs[1], g, batch),
        ExtOp::ScatterAddLast { .. } => topk::scatter_add_last_grad(&inputs[1], g, batch),
        ExtOp::Take { offsets } => take::take_grad(offsets, &inputs[0], g, batch),
        ExtOp::Put { offsets, how } => take::put_grad(offsets, *how, &inputs[0], g, batch),
        ExtOp::Custom(c) => crate::autodiff::custom_grad(c, inputs, g, batch),
    }
}
