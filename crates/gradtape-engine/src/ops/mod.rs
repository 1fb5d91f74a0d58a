//! Op families, the side that sees tensors: each file holds its shape and
//! dtype rules, gradient rule and `Tensor` methods; its payload types are
//! in `op.rs` and its CPU kernel in `kernels/<family>.rs`.

pub mod binary;
pub mod cast;
pub mod ext;
pub mod index;
pub mod matmul;
pub mod movement;
pub mod operators;
pub mod reduce;
pub mod scan;
pub mod take;
pub mod topk;
pub mod unary;

use gradtape_core::Result;
use smallvec::SmallVec;

use crate::op::OpKind;
use crate::Tensor;

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
