//! The host kernels of `Take` and `Put`, the gathers and scatters by
//! host-computed flat offsets.

use gradtape_core::{with_data, Element, HostData};

use crate::op::Combine;

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
