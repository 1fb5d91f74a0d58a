//! The primitives added for the TF functions a user reaches for (issue 15),
//! behind one `OpKind::Ext` hook: each family lives in its own file with its
//! kernel and gradient rule. All but `TopKIndices` and `Custom` have Vulkan kernels;
//! the planner runs the others on the CPU (see `vulkan/lower.rs`). The elementwise ones became
//! `UnaryOp` / `BinaryOp` primitives of the registry.

use std::sync::Arc;

use gradtape_core::{DType, HostData, Result, Shape};
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

/// Runs one added primitive on the host.
pub(crate) fn cpu(kind: &ExtOp, inputs: &[(Arc<HostData>, &Shape)], out: &Shape, dtype: DType) -> HostData {
    let d = |i: usize| -> &HostData { &inputs[i].0 };
    let s = |i: usize| -> &Shape { inputs[i].1 };
    match kind {
        ExtOp::Scan { op, axis, exclusive, reverse } => scan::cpu(*op, d(0), s(0), *axis, *exclusive, *reverse),
        ExtOp::TopKIndices { k } => topk::top_k_cpu(d(0), s(0), *k),
        ExtOp::GatherLast => topk::gather_last_cpu(d(0), s(0), d(1), out),
        ExtOp::ScatterAddLast { n } => topk::scatter_add_last_cpu(d(0), d(1), *n, out, dtype),
        ExtOp::Take { offsets } => take::take_cpu(d(0), offsets),
        ExtOp::Put { offsets, how } => take::put_cpu(d(0), offsets, out.numel(), *how),
        ExtOp::Custom(_) => (*inputs[inputs.len() - 1].0).clone(),
    }
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
