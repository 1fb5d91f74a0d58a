//! The host kernel of `tf.cumsum` and `tf.math.cumprod`.

use gradtape_core::{HostData, Shape};

use crate::op::ScanOp;

pub(crate) fn cpu(s: ScanOp, x: &HostData, shape: &Shape, axis: usize, exclusive: bool, reverse: bool) -> HostData {
    let n = shape.dims()[axis];
    let inner: usize = shape.dims()[axis + 1..].iter().product();
    let outer: usize = shape.dims()[..axis].iter().product();
    macro_rules! go {
        ($v:expr, $variant:ident, $zero:expr, $one:expr, $add:expr, $mul:expr) => {{
            let mut out = $v.clone();
            for o in 0..outer {
                for i in 0..inner {
                    let mut acc = if s == ScanOp::Sum { $zero } else { $one };
                    for step in 0..n {
                        let j = if reverse { n - 1 - step } else { step };
                        let at = (o * n + j) * inner + i;
                        let x = $v[at];
                        if exclusive {
                            out[at] = acc;
                        }
                        acc = if s == ScanOp::Sum { $add(acc, x) } else { $mul(acc, x) };
                        if !exclusive {
                            out[at] = acc;
                        }
                    }
                }
            }
            HostData::$variant(out)
        }};
    }
    match x {
        HostData::F32(v) => go!(v, F32, 0.0f32, 1.0f32, |a: f32, b: f32| a + b, |a: f32, b: f32| a * b),
        HostData::F64(v) => go!(v, F64, 0.0f64, 1.0f64, |a: f64, b: f64| a + b, |a: f64, b: f64| a * b),
        HostData::I32(v) => go!(v, I32, 0i32, 1i32, i32::wrapping_add, i32::wrapping_mul),
        HostData::I64(v) => go!(v, I64, 0i64, 1i64, i64::wrapping_add, i64::wrapping_mul),
        HostData::Bool(_) => unreachable!("internal: bool scans were rejected at queue time"),
        _ => unreachable!("internal: narrow dtypes are widened before math kernels (kernels::run_widened)"),
    }
}
