//! The host kernels of the primitives behind `OpKind::Ext`, dispatched to
//! their families' files.

use std::sync::Arc;

use gradtape_core::{DType, HostData, Shape};

use super::{scan, take, topk};
use crate::op::ExtOp;

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
