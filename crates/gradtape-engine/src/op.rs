//! The primitive op vocabulary. Every op the user calls is one of these or
//! composed from them; each family's shape rules and gradient rule live in
//! `ops/<family>.rs`, its CPU kernel in `kernels/<family>.rs`, its enum (if
//! it has one) in `gradtape_core::registry`.
//!
//! This module is data, at the bottom of the engine: `OpKind` and each
//! family's payload types (`SliceSpec`, `ExtOp`, ...), which the queue, the
//! components, the kernels and the backends read. It imports no family;
//! the families import it. A family queues an op as its own type
//! (`UnaryOp`, `Movement::Transpose`, ...) converted by the `From` impls.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use smallvec::SmallVec;

use gradtape_core::registry::{BinaryOp, ReduceOp, UnaryOp};

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

/// A movement op with its static parameters, as queued (the `OpKind`
/// variants of the same names).
pub(crate) enum Movement {
    Reshape,
    Transpose(SmallVec<[usize; 4]>),
    BroadcastTo,
    Concat { axis: usize },
    Slice(SliceSpec),
    SliceGrad(SliceSpec),
}

/// A strided window: for each input dim, the first index and the step; the
/// output entity's shape says how many steps.
#[derive(Clone, Debug, PartialEq)]
pub struct SliceSpec {
    /// The first index along each axis.
    pub begin: SmallVec<[usize; 4]>,
    /// The stride along each axis (negative walks backwards).
    pub step: SmallVec<[isize; 4]>,
}

/// A reduction with its static parameters, as queued (`OpKind::Reduce`).
pub(crate) struct Reduction {
    pub op: ReduceOp,
    pub axes: SmallVec<[usize; 4]>,
    pub keepdims: bool,
}

/// A matmul with its transposes, as queued (`OpKind::MatMul`).
pub(crate) struct MatMulOp {
    pub transpose_a: bool,
    pub transpose_b: bool,
}

/// `ops/cast.rs`'s ops, as queued (`OpKind::Cast`, `OpKind::Select`).
pub(crate) enum CastOp {
    Cast,
    Select,
}

/// One of the added primitives with its static parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum ExtOp {
    /// `tf.cumsum` / `tf.math.cumprod` along one axis.
    Scan {
        /// Sum or product.
        op: ScanOp,
        /// The scanned axis, non-negative.
        axis: usize,
        /// Whether each output leaves its own element out.
        exclusive: bool,
        /// Whether the scan runs from the end.
        reverse: bool,
    },
    /// The int32 indices of the `k` largest elements along the last axis,
    /// descending, ties to the lower index (`TopKV2`'s second output).
    TopKIndices {
        /// How many.
        k: usize,
    },
    /// `out[..., j] = x[..., idx[..., j]]` along the last axis (`take_along_axis`).
    GatherLast,
    /// The gradient of `GatherLast`: sums `g[..., j]` into position
    /// `idx[..., j]` of a last axis of length `n`.
    ScatterAddLast {
        /// The length of the output's last axis.
        n: usize,
    },
    /// `out[i] = x.flat[offsets[i]]` (gather, gather_nd, boolean_mask).
    Take {
        /// Flat source positions, one per output element.
        offsets: Arc<[usize]>,
    },
    /// `out.flat[offsets[i]] (+)= u[i]` into zeros (scatter_nd, Take's gradient).
    Put {
        /// Flat destination positions, one per input element.
        offsets: Arc<[usize]>,
        /// How duplicates combine.
        how: Combine,
    },
    /// `tf.custom_gradient`: the last input's value, with the user's rule.
    Custom(CustomGrad),
}

impl ExtOp {
    /// TF's op name.
    pub fn name(&self) -> &'static str {
        match self {
            ExtOp::Scan { op: ScanOp::Sum, .. } => "Cumsum",
            ExtOp::Scan { op: ScanOp::Prod, .. } => "Cumprod",
            ExtOp::TopKIndices { .. } => "TopKV2",
            ExtOp::GatherLast => "GatherV2",
            ExtOp::ScatterAddLast { .. } => "TensorScatterAdd",
            ExtOp::Take { .. } => "GatherV2",
            ExtOp::Put { .. } => "ScatterNd",
            ExtOp::Custom(_) => "IdentityN",
        }
    }
}

/// Which scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOp {
    /// Running sums.
    Sum,
    /// Running products.
    Prod,
}

/// How `Put` combines duplicates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combine {
    /// Sum (`scatter_nd`, the gradient of `Take`).
    Add,
    /// Maximum (`tensor_scatter_nd_max`), into a tensor of lowest values.
    Max,
    /// Minimum (`tensor_scatter_nd_min`), into a tensor of highest values.
    Min,
}

/// The recorded op's parameter: the user's rule (compared by identity).
/// The rule is a function of tensors, which this layer knows nothing of:
/// it is held as `Any`, made and read by `autodiff.rs` alone.
#[derive(Clone)]
pub struct CustomGrad {
    pub(crate) rule: Arc<dyn Any + Send + Sync>,
    pub(crate) inputs: usize,
}

impl fmt::Debug for CustomGrad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomGrad({} inputs)", self.inputs)
    }
}

impl PartialEq for CustomGrad {
    fn eq(&self, other: &CustomGrad) -> bool {
        Arc::ptr_eq(&self.rule, &other.rule)
    }
}
