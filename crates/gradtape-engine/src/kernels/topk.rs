//! The host kernels of top_k's indices (a sort) and of the gather along
//! the last axis and its scatter-add.

use gradtape_core::{with_data, DType, Element, HostData, Shape};

pub(crate) fn top_k_cpu(x: &HostData, shape: &Shape, k: usize) -> HostData {
    let n = shape.dims().last().copied().unwrap_or(1);
    let v = x.to_f64_vec();
    let mut out = Vec::with_capacity(v.len() / n.max(1) * k);
    for row in v.chunks(n.max(1)) {
        let mut idx: Vec<usize> = (0..n).collect();
        // Stable: equal values keep the lower index first. NaN sorts as the largest.
        idx.sort_by(|&a, &b| {
            let (x, y) = (row[a], row[b]);
            match (x.is_nan(), y.is_nan()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Less,
                (false, true) => std::cmp::Ordering::Greater,
                _ => y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal),
            }
        });
        out.extend(idx[..k].iter().map(|&i| i as i32));
    }
    HostData::I32(out)
}

/// The indices as offsets; a negative one becomes `usize::MAX`, out of range.
fn indices(idx: &HostData) -> Vec<usize> {
    idx.to_f64_vec().into_iter().map(|i| if i < 0.0 { usize::MAX } else { i as usize }).collect()
}

pub(crate) fn gather_last_cpu(x: &HostData, sx: &Shape, idx: &HostData, out: &Shape) -> HostData {
    let n = sx.dims().last().copied().unwrap_or(1);
    let k = out.dims().last().copied().unwrap_or(1);
    let ix = indices(idx);
    with_data!(x, v => {
        // An index out of range reads zero, as on the device; the public
        // `gather_last` has refused it before it got here.
        let o: Vec<_> = ix.iter().enumerate().map(|(p, &i)| if i < n { v[(p / k) * n + i] } else { Default::default() }).collect();
        HostData::from_vec(o)
    })
}

pub(crate) fn scatter_add_last_cpu(g: &HostData, idx: &HostData, n: usize, out: &Shape, dtype: DType) -> HostData {
    let ix = indices(idx);
    let k = if ix.is_empty() { 1 } else { g.len() / (out.numel() / n.max(1)).max(1) };
    macro_rules! go {
        ($v:expr, $t:ty) => {{
            let mut o = vec![<$t>::from_f64_lossy(0.0); out.numel()];
            // An index out of range adds nowhere, as on the device.
            for (p, (&i, &gv)) in ix.iter().zip($v.iter()).enumerate().filter(|(_, (&i, _))| i < n) {
                o[(p / k) * n + i] += gv;
            }
            HostData::from_vec(o)
        }};
    }
    match g {
        HostData::F32(v) => go!(v, f32),
        HostData::F64(v) => go!(v, f64),
        HostData::I32(v) => go!(v, i32),
        HostData::I64(v) => go!(v, i64),
        HostData::Bool(_) => HostData::zeros(dtype, out.numel()),
        _ => unreachable!("internal: narrow dtypes are widened before math kernels (kernels::run_widened)"),
    }
}
