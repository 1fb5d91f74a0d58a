//! From the engine's primitive ops to the device's kernels: where each op
//! can run, and recording it. Every `match` lists every `OpKind`, so a new
//! kind of op fails to compile until it is placed here; a new primitive of
//! a registry family (`UnaryOp`, ...) needs nothing here, as the device
//! crate takes the registry's enums and says itself which it has.
//!
//! Run on the CPU instead (each row is what the device lacks):
//! - float64 transcendentals and pow (GLSL has none: the device offers
//!   float64 only for the registry's exact ops), and every int64 / float64 arithmetic op on a
//!   device without shaderInt64 / shaderFloat64 (casts into or out of a
//!   64-bit type need both);
//! - the mean over an empty axis (NaN on the CPU);
//! - tensors of 2^31 elements or more (the kernels index with 32 bits).
//!
//! Movement ops (transpose, broadcast, slices, concat), select and the
//! gathers (`Take`, `GatherLast` with int32 or int64 indices) move any
//! dtype's bits, so they run on every device; the scatters (`Put`,
//! `ScatterAddLast`) and the scans compute in their dtype. `Take` and `Put`
//! read offsets the host range-checked when the op was queued (TF's errors
//! come from there), so a bad index never reaches the device; the
//! last-axis kernels read their indices on the device and take one out of
//! range as reading zero / adding nowhere, never out of bounds.

use gradtape_core::{DType, Result};
use gradtape_vulkan::ops::{binary as vb, cast as vc, put as vp, reduce as vr, scan as vs, take as vt, unary as vu};
use gradtape_vulkan::{Batch, DeviceBuffer, VulkanDevice};

use crate::backend::Op;
use crate::op::{Combine, ExtOp, OpKind, ScanOp};

/// Where an op runs: the planner (`plan.rs`) starts from each op's
/// placement here and groups the device ops into chains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Where {
    /// A CPU kernel (the device does not offer this op or dtype).
    Cpu,
    /// Same elements as the input (reshape, identity): no work anywhere.
    Share,
    /// One device kernel.
    Device,
    /// Member of fused chain `n`.
    Chain(usize),
}

/// The most elements a kernel indexes (32-bit signed offsets).
const MAX_ELEMENTS: usize = i32::MAX as usize - 1;

/// Where `op` runs on `dev`.
pub(super) fn placement(op: &Op, dev: &VulkanDevice) -> Where {
    let too_big = op.shape.numel() > MAX_ELEMENTS || op.inputs.iter().any(|n| n.shape.numel() > MAX_ELEMENTS);
    if too_big {
        return if matches!(op.kind, OpKind::Reshape | OpKind::Identity) { Where::Share } else { Where::Cpu };
    }
    let t = op.inputs.first().map_or(op.dtype, |n| n.dtype);
    // Math in a narrow dtype rounds back after every op: the host kernels
    // do that; the device only moves their words.
    let narrow = op.dtype.is_narrow() || op.inputs.iter().any(|n| n.dtype.is_narrow());
    if narrow && !op.kind.moves_elements() {
        return Where::Cpu;
    }
    let ok = match &op.kind {
        OpKind::Reshape | OpKind::Identity => return Where::Share,
        OpKind::Unary(u) => dev.supports(t) && vu::has(*u, t),
        OpKind::Binary(b) => dev.supports(t) && vb::has(*b, t),
        OpKind::Reduce { op: r, axes, .. } => {
            let k: usize = axes.iter().map(|&a| op.inputs[0].shape.dims()[a]).product();
            dev.supports(t) && vr::has(*r, t, k)
        }
        OpKind::MatMul { .. } => dev.supports(t) && t != DType::Bool,
        OpKind::Transpose(_)
        | OpKind::BroadcastTo
        | OpKind::Concat { .. }
        | OpKind::Slice(_)
        | OpKind::SliceGrad(_)
        | OpKind::Select => true,
        OpKind::Cast => vc::has(dev, t, op.dtype),
        // Gathers move bits (any stored dtype); scatters compute in theirs.
        OpKind::Ext(ExtOp::Take { .. }) => true,
        OpKind::Ext(ExtOp::Put { .. }) => vp::has(dev, op.dtype),
        OpKind::Ext(ExtOp::Scan { .. }) => vs::has(dev, t),
        OpKind::Ext(ExtOp::GatherLast) => vt::has_index(op.inputs[1].dtype),
        OpKind::Ext(ExtOp::ScatterAddLast { .. }) => {
            op.dtype != DType::Bool && vp::has(dev, op.dtype) && vt::has_index(op.inputs[1].dtype)
        }
        // The sort and the user's gradient rules stay on the host.
        OpKind::Ext(ExtOp::TopKIndices { .. } | ExtOp::Custom(_)) => false,
    };
    if ok {
        Where::Device
    } else {
        Where::Cpu
    }
}

/// Records `op` (placed `Where::Device`) reading `x` into `out`.
pub(super) fn record(b: &mut Batch, op: &Op, x: &[DeviceBuffer], out: &DeviceBuffer) -> Result<()> {
    let s = |i: usize| op.inputs[i].shape.dims();
    let so = op.shape.dims();
    match &op.kind {
        OpKind::Unary(u) => b.unary(*u, &x[0], out),
        OpKind::Binary(o) => b.binary(*o, &x[0], s(0), &x[1], s(1), out, so),
        OpKind::Reduce { op: r, axes, .. } => b.reduce(*r, &x[0], s(0), axes, out),
        OpKind::MatMul { transpose_a, transpose_b } => {
            b.matmul(&x[0], s(0), &x[1], s(1), *transpose_a, *transpose_b, out, so)
        }
        OpKind::Transpose(perm) => b.transpose(&x[0], s(0), perm, out),
        OpKind::BroadcastTo => b.broadcast_to(&x[0], s(0), out, so),
        OpKind::Concat { axis } => {
            let parts: Vec<(&DeviceBuffer, &[usize])> =
                x.iter().zip(&op.inputs).map(|(buf, n)| (buf, n.shape.dims())).collect();
            b.concat(&parts, *axis, out, so)
        }
        OpKind::Slice(spec) => b.slice(&x[0], s(0), &spec.begin, &spec.step, out, so),
        OpKind::SliceGrad(spec) => b.slice_grad(&x[0], s(0), &spec.begin, &spec.step, out, so),
        OpKind::Cast => b.cast(&x[0], out),
        OpKind::Select => b.select(&x[0], s(0), &x[1], s(1), &x[2], s(2), out, so),
        OpKind::Reshape | OpKind::Identity => unreachable!("internal: shared ops record nothing"),
        OpKind::Ext(ExtOp::Take { offsets }) => b.take(&x[0], offsets, out),
        OpKind::Ext(ExtOp::Put { offsets, how }) => b.put(&x[0], offsets, combine(*how), out),
        OpKind::Ext(ExtOp::Scan { op: o, axis, exclusive, reverse }) => {
            let o = match o {
                ScanOp::Sum => vs::Scan::Sum,
                ScanOp::Prod => vs::Scan::Prod,
            };
            b.scan(o, &x[0], s(0), *axis, *exclusive, *reverse, out)
        }
        OpKind::Ext(ExtOp::GatherLast) => b.gather_last(&x[0], &x[1], last(s(1)), last(s(0)), out),
        OpKind::Ext(ExtOp::ScatterAddLast { n }) => b.scatter_add_last(&x[0], &x[1], last(s(1)), *n, out),
        OpKind::Ext(ExtOp::TopKIndices { .. } | ExtOp::Custom(_)) => {
            unreachable!("internal: these added primitives run on the CPU")
        }
    }
}

fn combine(how: Combine) -> vp::Combine {
    match how {
        Combine::Add => vp::Combine::Add,
        Combine::Max => vp::Combine::Max,
        Combine::Min => vp::Combine::Min,
    }
}

/// The length of the last axis (1 for a scalar, as the CPU kernels take it).
fn last(dims: &[usize]) -> usize {
    dims.last().copied().unwrap_or(1)
}
