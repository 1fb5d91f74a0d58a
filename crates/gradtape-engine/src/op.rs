//! The primitive op vocabulary. Every op the user calls is one of these or
//! composed from them; each family's shape rules, CPU kernel and gradient
//! rule live in `ops/<family>.rs`, its enum (if it has one) in
//! `gradtape_core::registry`.
//!
//! This module sits above the families: it imports them to dispatch, and
//! they never import it. A family queues an op as its own type
//! (`UnaryOp`, `Movement::Transpose`, ...) converted by the `From` impls
//! at the end of this file.

use std::sync::Arc;

use gradtape_core::{DType, HostData, Shape};
use smallvec::SmallVec;

use crate::ops::cast::CastOp;
use crate::ops::ext::{self, ExtOp};
use crate::ops::matmul::MatMulOp;
use crate::ops::movement::{Movement, SliceSpec};
use crate::ops::reduce::Reduction;
use crate::ops::{binary, cast, matmul, movement, reduce, unary};
use gradtape_core::registry::{BinaryOp, ReduceOp, UnaryOp};
use crate::pool::BufferPool;
use crate::Tensor;
use gradtape_core::Result;

/// One primitive op with its static parameters (inputs are held separately).
#[derive(Clone, Debug, PartialEq)]
pub enum OpKind {
    /// An elementwise function of one tensor.
    Unary(UnaryOp),
    /// An elementwise function of two broadcast tensors.
    Binary(BinaryOp),
    /// A reduction, with `tf.reduce_*`'s arguments.
    Reduce {
        /// Which reduction.
        op: ReduceOp,
        /// The reduced axes, sorted and non-negative.
        axes: SmallVec<[usize; 4]>,
        /// Whether reduced axes stay, with size 1.
        keepdims: bool,
    },
    /// A batched matrix product, each operand optionally transposed in its last two axes.
    MatMul {
        /// Whether the first operand's last two axes are swapped.
        transpose_a: bool,
        /// Whether the second operand's last two axes are swapped.
        transpose_b: bool,
    },
    /// Same elements, new shape (the output entity's `Shape`).
    Reshape,
    /// A permutation of the axes.
    Transpose(SmallVec<[usize; 4]>),
    /// Broadcast to the output entity's shape.
    BroadcastTo,
    /// Joins the inputs along `axis`.
    Concat {
        /// The joined axis, non-negative.
        axis: usize,
    },
    /// A strided window.
    Slice(SliceSpec),
    /// The gradient of `Slice`: scatters into zeros of the output shape.
    SliceGrad(SliceSpec),
    /// Converts to the output entity's dtype.
    Cast,
    /// `where(cond, a, b)` with broadcasting.
    Select,
    /// A variable read, or `tf.identity`.
    Identity,
    /// A primitive added for issue 15, in its own family file (`ops/ext.rs`).
    Ext(ExtOp),
}

impl OpKind {
    /// TensorFlow's name of the op, as in `[Op:AddV2]` and tape listings.
    pub fn name(&self) -> &'static str {
        match self {
            OpKind::Unary(u) => u.name(),
            OpKind::Binary(b) => b.name(),
            OpKind::Reduce { op, .. } => op.name(),
            OpKind::MatMul { .. } => "MatMul",
            OpKind::Reshape => "Reshape",
            OpKind::Transpose(_) => "Transpose",
            OpKind::BroadcastTo => "BroadcastTo",
            OpKind::Concat { .. } => "ConcatV2",
            OpKind::Slice(_) => "StridedSlice",
            OpKind::SliceGrad(_) => "StridedSliceGrad",
            OpKind::Cast => "Cast",
            OpKind::Select => "SelectV2",
            OpKind::Identity => "Identity",
            OpKind::Ext(e) => e.name(),
        }
    }

    /// Whether the op only moves elements (views, transposes, slices,
    /// concatenation, select): it handles any dtype's values unchanged, on
    /// the host (the narrow dtypes included) and on a device.
    pub(crate) fn moves_elements(&self) -> bool {
        matches!(
            self,
            OpKind::Reshape
                | OpKind::Identity
                | OpKind::Transpose(_)
                | OpKind::BroadcastTo
                | OpKind::Concat { .. }
                | OpKind::Slice(_)
                | OpKind::SliceGrad(_)
                | OpKind::Select
        )
    }
}

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

/// The gradient rule of `kind`: the upstream gradient `g` has shape
/// `batch dims ++ output shape` (`batch` leading dims; 0 for `gradient`, 1
/// for the vectorised jacobian). Returns one entry per input, `None` where the
/// input gets no gradient or `needs` says no one asks for it. Rules are written with tensor ops, so an outer tape
/// records them.
pub(crate) fn gradient(
    kind: &OpKind,
    inputs: &[Tensor],
    output: &Tensor,
    g: &Tensor,
    batch: usize,
    needs: &[bool],
) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    match kind {
        OpKind::Unary(op) => unary::grad(*op, &inputs[0], output, g),
        OpKind::Binary(op) => binary::grad(*op, &inputs[0], &inputs[1], output, g, batch, needs),
        OpKind::Reduce { op, axes, keepdims } => {
            reduce::grad(*op, axes, *keepdims, &inputs[0], output, g, batch)
        }
        OpKind::MatMul { transpose_a, transpose_b } => {
            matmul::grad(&inputs[0], &inputs[1], *transpose_a, *transpose_b, g, batch, needs)
        }
        OpKind::Reshape => Ok(smallvec::smallvec![Some(g.reshape_batched(inputs[0].shape(), batch)?)]),
        OpKind::Transpose(perm) => movement::transpose_grad(perm, g, batch),
        OpKind::BroadcastTo => Ok(smallvec::smallvec![Some(g.sum_to(inputs[0].shape(), batch)?)]),
        OpKind::Concat { axis } => movement::concat_grad(*axis, inputs, g, batch, needs),
        OpKind::Slice(spec) => movement::slice_grad(spec, &inputs[0], g, batch),
        OpKind::SliceGrad(spec) => movement::slice_grad_grad(spec, &inputs[0], g, batch),
        OpKind::Cast => cast::cast_grad(&inputs[0], output, g),
        OpKind::Select => cast::select_grad(inputs, g, batch, needs),
        OpKind::Identity => Ok(smallvec::smallvec![Some(g.clone())]),
        OpKind::Ext(e) => ext::grad(e, inputs, output, g, batch, needs),
    }
}

impl From<UnaryOp> for OpKind {
    fn from(op: UnaryOp) -> OpKind {
        OpKind::Unary(op)
    }
}

impl From<BinaryOp> for OpKind {
    fn from(op: BinaryOp) -> OpKind {
        OpKind::Binary(op)
    }
}

impl From<Reduction> for OpKind {
    fn from(r: Reduction) -> OpKind {
        OpKind::Reduce { op: r.op, axes: r.axes, keepdims: r.keepdims }
    }
}

impl From<MatMulOp> for OpKind {
    fn from(m: MatMulOp) -> OpKind {
        OpKind::MatMul { transpose_a: m.transpose_a, transpose_b: m.transpose_b }
    }
}

impl From<Movement> for OpKind {
    fn from(m: Movement) -> OpKind {
        match m {
            Movement::Reshape => OpKind::Reshape,
            Movement::Transpose(perm) => OpKind::Transpose(perm),
            Movement::BroadcastTo => OpKind::BroadcastTo,
            Movement::Concat { axis } => OpKind::Concat { axis },
            Movement::Slice(spec) => OpKind::Slice(spec),
            Movement::SliceGrad(spec) => OpKind::SliceGrad(spec),
        }
    }
}

impl From<CastOp> for OpKind {
    fn from(c: CastOp) -> OpKind {
        match c {
            CastOp::Cast => OpKind::Cast,
            CastOp::Select => OpKind::Select,
        }
    }
}

impl From<ExtOp> for OpKind {
    fn from(e: ExtOp) -> OpKind {
        OpKind::Ext(e)
    }
}
