//! From the engine's primitive ops to the device's kernels: where each op
//! can run, and recording it. Every `match` lists every op, so a new op
//! fails to compile until it is placed here.
//!
//! Run on the CPU instead (each row is what the device lacks):
//! - float64 exp, log, sin, cos, tanh, sigmoid and pow (GLSL has no
//!   float64 transcendentals), and every int64 / float64 arithmetic op on a
//!   device without shaderInt64 / shaderFloat64 (casts into or out of a
//!   64-bit type need both);
//! - the mean over an empty axis (NaN on the CPU);
//! - tensors of 2^31 elements or more (the kernels index with 32 bits).
//!
//! Movement ops (transpose, broadcast, slices, concat) and select move any
//! dtype's bits, so they run on every device.

use gradtape_core::{DType, Result};
use gradtape_vulkan::ops::{binary as vb, cast as vc, reduce as vr, unary as vu};
use gradtape_vulkan::{Batch, DeviceBuffer, VulkanDevice};

use super::plan::{Op, Where};
use crate::op::OpKind;
use crate::ops::binary::BinaryOp;
use crate::ops::reduce::ReduceOp;
use crate::ops::unary::UnaryOp;

pub(super) fn unary_code(op: UnaryOp) -> u32 {
    match op {
        UnaryOp::Neg => vu::NEG,
        UnaryOp::Abs => vu::ABS,
        UnaryOp::Sign => vu::SIGN,
        UnaryOp::Exp => vu::EXP,
        UnaryOp::Log => vu::LOG,
        UnaryOp::Sqrt => vu::SQRT,
        UnaryOp::Square => vu::SQUARE,
        UnaryOp::Sin => vu::SIN,
        UnaryOp::Cos => vu::COS,
        UnaryOp::Tanh => vu::TANH,
        UnaryOp::Sigmoid => vu::SIGMOID,
        UnaryOp::Relu => vu::RELU,
    }
}

pub(super) fn binary_code(op: BinaryOp) -> u32 {
    match op {
        BinaryOp::Add => vb::ADD,
        BinaryOp::Sub => vb::SUB,
        BinaryOp::Mul => vb::MUL,
        BinaryOp::Div => vb::DIV,
        BinaryOp::FloorDiv => vb::FLOOR_DIV,
        BinaryOp::Pow => vb::POW,
        BinaryOp::Maximum => vb::MAXIMUM,
        BinaryOp::Minimum => vb::MINIMUM,
        BinaryOp::Equal => vb::EQUAL,
        BinaryOp::NotEqual => vb::NOT_EQUAL,
        BinaryOp::Less => vb::LESS,
        BinaryOp::LessEqual => vb::LESS_EQUAL,
        BinaryOp::Greater => vb::GREATER,
        BinaryOp::GreaterEqual => vb::GREATER_EQUAL,
    }
}

fn reduce_code(op: ReduceOp) -> u32 {
    match op {
        ReduceOp::Sum => vr::SUM,
        ReduceOp::Mean => vr::MEAN,
        ReduceOp::Max => vr::MAX,
        ReduceOp::Min => vr::MIN,
        ReduceOp::Prod => vr::PROD,
    }
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
    let moves = matches!(
        op.kind,
        OpKind::Transpose(_) | OpKind::BroadcastTo | OpKind::Concat { .. } | OpKind::Slice(_) | OpKind::SliceGrad(_) | OpKind::Select
    );
    if narrow && !moves && !matches!(op.kind, OpKind::Reshape | OpKind::Identity) {
        return Where::Cpu;
    }
    let ok = match &op.kind {
        OpKind::Reshape | OpKind::Identity => return Where::Share,
        OpKind::Unary(u) => dev.supports(t) && vu::has(unary_code(*u), t),
        OpKind::Binary(b) => dev.supports(t) && vb::has(binary_code(*b), t),
        OpKind::Reduce { op: r, axes, .. } => {
            let k: usize = axes.iter().map(|&a| op.inputs[0].shape.dims()[a]).product();
            dev.supports(t) && vr::has(reduce_code(*r), t, k)
        }
        OpKind::MatMul { .. } => dev.supports(t) && t != DType::Bool,
        OpKind::Transpose(_)
        | OpKind::BroadcastTo
        | OpKind::Concat { .. }
        | OpKind::Slice(_)
        | OpKind::SliceGrad(_)
        | OpKind::Select => true,
        OpKind::Cast => vc::has(dev, t, op.dtype),
        // The added primitives have no shaders yet.
        OpKind::Ext(_) => false,
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
        OpKind::Unary(u) => b.unary(unary_code(*u), &x[0], out),
        OpKind::Binary(o) => b.binary(binary_code(*o), &x[0], s(0), &x[1], s(1), out, so),
        OpKind::Reduce { op: r, axes, .. } => b.reduce(reduce_code(*r), &x[0], s(0), axes, out),
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
        OpKind::Ext(_) => unreachable!("internal: added primitives run on the CPU"),
    }
}
