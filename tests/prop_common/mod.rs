//! Shared by the property tests: proptest's configuration, strategies for
//! shapes and values, an independent NumPy broadcasting rule and row-major
//! index helpers, and comparisons against float64 references.

#![allow(dead_code)]

use gradtape::*;
use proptest::prelude::*;

/// 64 cases per property unless `PROPTEST_CASES` asks for more (or fewer).
pub fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 64;
    }
    c
}

/// A shape of rank `0..=max_rank` with dims `0..=max_dim` (0 now and then).
pub fn shape(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1 => Just(0usize), 8 => 1..=max_dim], 0..=max_rank)
}

/// A non-empty shape.
pub fn nonempty_shape(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1..=max_dim, 0..=max_rank)
}

/// Two shapes that broadcast: both cut from one output shape, each losing
/// some leading dims and having some dims set to 1.
pub fn broadcastable(max_rank: usize, max_dim: usize) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    shape(max_rank, max_dim).prop_flat_map(|out| {
        let r = out.len();
        let side = (0..=r, prop::collection::vec(any::<bool>(), r));
        (Just(out), side.clone(), side)
    })
    .prop_map(|(out, (ka, ma), (kb, mb))| {
        let cut = |keep: usize, ones: &[bool]| -> Vec<usize> {
            (out.len() - keep..out.len()).map(|i| if ones[i] { 1 } else { out[i] }).collect()
        };
        (cut(ka, &ma), cut(kb, &mb))
    })
}

/// Two broadcastable shapes with values for each, from `va` and `vb`.
pub fn broadcast_case(
    max_rank: usize,
    max_dim: usize,
    va: BoxedStrategy<f64>,
    vb: BoxedStrategy<f64>,
) -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Vec<f64>, Vec<f64>)> {
    broadcastable(max_rank, max_dim).prop_flat_map(move |(sa, sb)| {
        let (na, nb): (usize, usize) = (sa.iter().product(), sb.iter().product());
        (Just(sa), Just(sb), prop::collection::vec(va.clone(), na), prop::collection::vec(vb.clone(), nb))
    })
}

/// Mostly ordinary floats, with zeros (both signs), NaN and infinities mixed in.
pub fn float_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        20 => -10.0..10.0f64,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => -100.0..100.0f64,
    ]
}

/// Finite floats only.
pub fn finite_value() -> impl Strategy<Value = f64> {
    -10.0..10.0f64
}

/// Small integers, so that f64 references are exact.
pub fn int_value() -> impl Strategy<Value = f64> {
    (-20i32..=20).prop_map(f64::from)
}

/// `shape` with `numel` values from `value`.
pub fn values_for(shape: Vec<usize>, value: BoxedStrategy<f64>) -> impl Strategy<Value = (Vec<usize>, Vec<f64>)> {
    let n: usize = shape.iter().product();
    (Just(shape), prop::collection::vec(value, n))
}

/// A tensor of `dtype` holding `vals` (converted as a typed buffer would be).
pub fn tensor(e: &Engine, dtype: DType, shape: &[usize], vals: &[f64]) -> Tensor {
    match dtype {
        DType::F32 => e.from_vec(vals.iter().map(|&v| v as f32).collect::<Vec<_>>(), shape),
        DType::F64 => e.from_vec(vals.to_vec(), shape),
        DType::I32 => e.from_vec(vals.iter().map(|&v| v as i32).collect::<Vec<_>>(), shape),
        DType::I64 => e.from_vec(vals.iter().map(|&v| v as i64).collect::<Vec<_>>(), shape),
        DType::Bool => e.from_vec(vals.iter().map(|&v| v != 0.0).collect::<Vec<_>>(), shape),
        narrow => e.from_vec(vals.to_vec(), shape).and_then(|t| t.cast(narrow)),
    }
    .expect("a small typed buffer")
}

pub fn float_dtype() -> impl Strategy<Value = DType> {
    prop_oneof![Just(DType::F32), Just(DType::F64)]
}

pub fn int_dtype() -> impl Strategy<Value = DType> {
    prop_oneof![Just(DType::I32), Just(DType::I64)]
}

/// NumPy's broadcasting rule, written independently of the engine's:
/// right-align, and each pair of dims must be equal or contain a 1.
pub fn np_broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let pad = |s: &[usize]| -> Vec<usize> { std::iter::repeat_n(1, r - s.len()).chain(s.iter().copied()).collect() };
    let (pa, pb) = (pad(a), pad(b));
    pa.iter()
        .zip(&pb)
        .map(|(&x, &y)| match (x, y) {
            _ if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// The multi-index of flat position `flat` in row-major `shape`.
pub fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    idx
}

/// The flat position of `idx` in row-major `shape`.
pub fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i)
}

/// Where output index `out_idx` reads operand `shape` under broadcasting.
pub fn broadcast_source(out_idx: &[usize], shape: &[usize]) -> usize {
    let lead = out_idx.len() - shape.len();
    let idx: Vec<usize> = shape.iter().enumerate().map(|(i, &d)| if d == 1 { 0 } else { out_idx[lead + i] }).collect();
    ravel(&idx, shape)
}

/// `want` rounded to `dtype`, as a value of that dtype reads back.
pub fn round_to(dtype: DType, want: f64) -> f64 {
    match dtype {
        DType::F32 => want as f32 as f64,
        _ => want,
    }
}

/// Equal, or both NaN, or within `rel * |want| + abs`.
pub fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    got == want || (got.is_nan() && want.is_nan()) || (got - want).abs() <= rel * want.abs() + abs
}

/// The first element where `got` and `want` differ beyond `tol(i)`.
pub fn mismatch(got: &[f64], want: &[f64], tol: impl Fn(usize) -> (f64, f64)) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!("{} values, expected {}", got.len(), want.len()));
    }
    (0..got.len()).find_map(|i| {
        let (rel, abs) = tol(i);
        (!close(got[i], want[i], rel, abs)).then(|| format!("element {i}: got {} expected {}", got[i], want[i]))
    })
}
