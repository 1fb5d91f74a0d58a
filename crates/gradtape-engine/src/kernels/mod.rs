//! The host compute of each op family: functions of buffers and shapes,
//! with no `Tensor` and no `Engine`. The CPU backend (`backend/cpu.rs`,
//! `backend/fuse.rs`) calls them; the families' Tensor-facing files
//! (`ops/<family>.rs`) queue the ops they compute.

pub(crate) mod binary;
pub(crate) mod cast;
pub(crate) mod ext;
pub(crate) mod matmul;
pub(crate) mod movement;
pub(crate) mod reduce;
pub(crate) mod scan;
pub(crate) mod take;
pub(crate) mod topk;
pub(crate) mod unary;

use std::sync::Arc;

use gradtape_core::{DType, HostData, Shape};
use smallvec::SmallVec;

use crate::op::OpKind;
use crate::pool::BufferPool;

/// Runs one op on the host. Shapes and dtypes were checked when it was queued.
pub(crate) fn run_cpu(
    kind: &OpKind,
    inputs: &[(Arc<HostData>, &Shape)],
    out: &Shape,
    dtype: DType,
    pool: &mut BufferPool,
) -> Arc<HostData> {
    let d = |i: usize| -> &HostData { &inputs[i].0 };
    let s = |i: usize| -> &Shape { inputs[i].1 };
    // An empty output may still have huge dims (`[1 << 45, 0]`), which a
    // kernel's per-batch or per-row bookkeeping would try to allocate for.
    if out.dims().contains(&0) {
        return Arc::new(HostData::zeros(dtype, 0));
    }
    if let Some(wide) = run_widened(kind, inputs, out, dtype, pool) {
        return wide;
    }
    match kind {
        OpKind::Reshape | OpKind::Identity => inputs[0].0.clone(),
        OpKind::Unary(op) => Arc::new(unary::cpu(*op, d(0), pool)),
        OpKind::Binary(op) => Arc::new(binary::cpu(*op, d(0), s(0), d(1), s(1), out, pool)),
        OpKind::Reduce { op, axes, keepdims: _ } => Arc::new(reduce::cpu(*op, d(0), s(0), axes)),
        OpKind::MatMul { transpose_a, transpose_b } => {
            Arc::new(matmul::cpu(d(0), s(0), d(1), s(1), *transpose_a, *transpose_b, out, pool))
        }
        OpKind::Transpose(perm) => Arc::new(movement::transpose_cpu(d(0), s(0), perm)),
        OpKind::BroadcastTo => Arc::new(movement::broadcast_cpu(d(0), s(0), out)),
        OpKind::Concat { axis } => {
            let parts: SmallVec<[(&HostData, &Shape); 4]> =
                inputs.iter().map(|(a, s)| (&**a, *s)).collect();
            Arc::new(movement::concat_cpu(&parts, *axis, out))
        }
        OpKind::Slice(spec) => Arc::new(movement::slice_cpu(d(0), s(0), spec, out)),
        OpKind::SliceGrad(spec) => Arc::new(movement::slice_grad_cpu(d(0), s(0), spec, out)),
        OpKind::Cast => Arc::new(d(0).cast(dtype)),
        OpKind::Select => Arc::new(cast::select_cpu(d(0), s(0), d(1), s(1), d(2), s(2), out)),
        OpKind::Ext(e) => Arc::new(ext::cpu(e, inputs, out, dtype)),
    }
}

/// Math on the narrow dtypes (uint8, int8, int16, float16, bfloat16): the
/// kernel of the compute type (int32, float32) on widened inputs, each
/// result rounded (or, for integers, truncated) back once, as TF's Eigen
/// kernels compute `half` in float and C++ narrow integers in `int`. Data
/// movement and casts keep the narrow buffers as they are.
fn run_widened(
    kind: &OpKind,
    inputs: &[(Arc<HostData>, &Shape)],
    out: &Shape,
    dtype: DType,
    pool: &mut BufferPool,
) -> Option<Arc<HostData>> {
    let narrow = dtype.is_narrow() || inputs.iter().any(|(d, _)| d.dtype().is_narrow());
    if !narrow || kind.moves_elements() || matches!(kind, OpKind::Cast) {
        return None;
    }
    let wide: SmallVec<[(Arc<HostData>, &Shape); 2]> =
        inputs.iter().map(|(d, s)| (d.widened().map_or_else(|| d.clone(), Arc::new), *s)).collect();
    let r = run_cpu(kind, &wide, out, dtype.compute(), pool);
    Some(if dtype.is_narrow() { Arc::new(r.cast(dtype)) } else { r })
}
