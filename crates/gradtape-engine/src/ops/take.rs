//! Gathers and scatters by host-computed flat offsets: `Take` reads
//! `x[offsets[i]]`, `Put` sums (or maxes, mins) `u[i]` into `offsets[i]` of a
//! zero tensor. TF validates indices when its kernel runs; gradtape reads
//! them at the call (to raise TF's errors there), so the offsets are known
//! and these two primitives serve gather, gather_nd, boolean_mask and the
//! scatters. Each is the other's gradient.

use std::sync::Arc;

use gradtape_core::{with_data, Element, HostData, Result, Shape};
use smallvec::{smallvec, SmallVec};

use super::ext::{op, ExtOp};
pub use crate::op::Combine;
use crate::Tensor;

pub(crate) fn take_cpu(x: &HostData, offsets: &[usize]) -> HostData {
    with_data!(x, v => HostData::from_vec(offsets.iter().map(|&o| v[o]).collect::<Vec<_>>()))
}

pub(crate) fn put_cpu(u: &HostData, offsets: &[usize], n: usize, how: Combine) -> HostData {
    macro_rules! go {
        ($v:expr, $t:ty, $lo:expr, $hi:expr) => {{
            let init: $t = match how { Combine::Add => <$t>::from_f64_lossy(0.0), Combine::Max => $lo, Combine::Min => $hi };
            let mut o = vec![init; n];
            for (&at, &x) in offsets.iter().zip($v.iter()) {
                o[at] = match how {
                    Combine::Add => o[at] + x,
                    Combine::Max => if x > o[at] { x } else { o[at] },
                    Combine::Min => if x < o[at] { x } else { o[at] },
                };
            }
            HostData::from_vec(o)
        }};
    }
    match u {
        HostData::F32(v) => go!(v, f32, f32::NEG_INFINITY, f32::INFINITY),
        HostData::F64(v) => go!(v, f64, f64::NEG_INFINITY, f64::INFINITY),
        HostData::I32(v) => go!(v, i32, i32::MIN, i32::MAX),
        HostData::I64(v) => go!(v, i64, i64::MIN, i64::MAX),
        HostData::Bool(v) => {
            let mut o = vec![false; n];
            for (&at, &x) in offsets.iter().zip(v) {
                o[at] = match how { Combine::Min => o[at] && x, _ => o[at] || x };
            }
            HostData::Bool(o)
        }
        _ => unreachable!("internal: narrow dtypes are widened before math kernels (kernels::run_widened)"),
    }
}

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
