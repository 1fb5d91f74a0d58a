//! The host kernels of the reductions: float sums and means in a fixed
//! order (par.rs), the rest in one strided pass.

use gradtape_core::registry::ReduceOp;
use gradtape_core::{HostData, Shape};
use smallvec::SmallVec;

use crate::par;
use crate::strided::for_each_offset;

/// `input`'s shape with the reduced `axes` kept, with size 1.
pub(crate) fn kept_shape(input: &Shape, axes: &[usize]) -> Shape {
    Shape::from(input.dims().iter().enumerate().map(|(i, &d)| if axes.contains(&i) { 1 } else { d }).collect::<Vec<_>>())
}

macro_rules! reduce_typed {
    ($v:expr, $t:ty, $op:expr, $in:expr, $axes:expr, $zero:expr, $one:expr, $lo:expr, $hi:expr, $add:expr, $mul:expr, $div:expr) => {{
        let keep = kept_shape($in, $axes);
        let n_out = keep.numel();
        let count = ($in.numel() / n_out.max(1)) as usize;
        let init: $t = match $op {
            ReduceOp::Sum | ReduceOp::Mean => $zero,
            ReduceOp::Prod => $one,
            ReduceOp::Max => $lo,
            ReduceOp::Min => $hi,
        };
        let mut acc: Vec<$t> = vec![init; n_out];
        let ostr = keep.strides();
        let strides: SmallVec<[isize; 6]> =
            (0..$in.rank()).map(|i| if $axes.contains(&i) { 0 } else { ostr[i] as isize }).collect();
        let mut k = 0;
        let v: &[$t] = $v;
        for_each_offset(0, &strides, $in.dims(), |o| {
            let x = v[k];
            k += 1;
            let a = &mut acc[o];
            *a = match $op {
                ReduceOp::Sum | ReduceOp::Mean => $add(*a, x),
                ReduceOp::Prod => $mul(*a, x),
                ReduceOp::Max => if x > *a || x != x { x } else { *a },
                ReduceOp::Min => if x < *a || x != x { x } else { *a },
            };
        });
        if $op == ReduceOp::Mean {
            for a in acc.iter_mut() {
                *a = $div(*a, count);
            }
        }
        acc
    }};
}

/// Float sums and means, in a fixed order (par.rs), so they give the same
/// bits on every run and thread count. Reduced axes that are a suffix sum
/// rows in the order of TF's single-threaded Eigen reduction (TF's bits); a
/// prefix sums columns in blocks of rows (TF adds them in sequence, which is
/// less accurate); any other set is first transposed to the end. Means divide
/// by the count, as TF's `MeanReducer` does, so they are correctly rounded.
fn sum_fast(op: ReduceOp, x: &HostData, s: &Shape, axes: &[usize]) -> Option<HostData> {
    if !matches!(op, ReduceOp::Sum | ReduceOp::Mean) {
        return None;
    }
    let (r, k) = (s.rank(), axes.len());
    let count: usize = axes.iter().map(|&a| s.dims()[a]).product();
    if count == 0 {
        return None;
    }
    let n_out = s.numel() / count;
    let suffix = axes.iter().enumerate().all(|(i, &a)| a == r - k + i);
    let prefix = axes.iter().enumerate().all(|(i, &a)| a == i);
    let moved = (!suffix && !prefix).then(|| {
        let perm: SmallVec<[usize; 4]> = (0..r).filter(|a| !axes.contains(a)).chain(axes.iter().copied()).collect();
        crate::kernels::movement::transpose_cpu(x, s, &perm)
    });
    let x = moved.as_ref().unwrap_or(x);
    macro_rules! go {
        ($v:expr, $t:ty) => {{
            let mut out: Vec<$t> = vec![0.0; n_out];
            if prefix && !suffix {
                par::sum_cols($v, count, &mut out);
            } else {
                par::sum_rows($v, count, &mut out);
            }
            if op == ReduceOp::Mean {
                out.iter_mut().for_each(|a| *a /= count as $t);
            }
            out
        }};
    }
    match x {
        HostData::F32(v) => Some(HostData::F32(go!(v, f32))),
        HostData::F64(v) => Some(HostData::F64(go!(v, f64))),
        _ => None,
    }
}

pub(crate) fn cpu(op: ReduceOp, x: &HostData, s: &Shape, axes: &[usize]) -> HostData {
    if let Some(d) = sum_fast(op, x, s, axes) {
        return d;
    }
    match x {
        HostData::F32(v) => HostData::F32(reduce_typed!(v, f32, op, s, axes, 0.0, 1.0, f32::NEG_INFINITY, f32::INFINITY,
            |a: f32, b: f32| a + b, |a: f32, b: f32| a * b, |a: f32, n: usize| a / n as f32)),
        HostData::F64(v) => HostData::F64(reduce_typed!(v, f64, op, s, axes, 0.0, 1.0, f64::NEG_INFINITY, f64::INFINITY,
            |a: f64, b: f64| a + b, |a: f64, b: f64| a * b, |a: f64, n: usize| a / n as f64)),
        HostData::I32(v) => HostData::I32(reduce_typed!(v, i32, op, s, axes, 0, 1, i32::MIN, i32::MAX,
            |a: i32, b: i32| a.wrapping_add(b), |a: i32, b: i32| a.wrapping_mul(b),
            |a: i32, n: usize| if n == 0 { 0 } else { a / n as i32 })),
        HostData::I64(v) => HostData::I64(reduce_typed!(v, i64, op, s, axes, 0, 1, i64::MIN, i64::MAX,
            |a: i64, b: i64| a.wrapping_add(b), |a: i64, b: i64| a.wrapping_mul(b),
            |a: i64, n: usize| if n == 0 { 0 } else { a / n as i64 })),
        HostData::Bool(_) => unreachable!("internal: bool reductions are rejected at queue time"),
        _ => unreachable!("internal: narrow dtypes are widened before math kernels (kernels::run_widened)"),
    }
}
