//! Assertions shared by the conformance tests: each golden TensorFlow case
//! (`tests/golden/tf_cases.json`) is checked for shape, dtype,
//! values and TF's exact repr, or for TF's exception class and message.

#![allow(dead_code)]

use gradtape::*;

/// Element-wise equality where NaN equals NaN: the goldens store NaN as a value.
fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Shape, dtype and row-major values, without the repr (for NumPy results,
/// which have no TF repr).
#[track_caller]
pub fn assert_values(t: &Tensor, shape: &[usize], dtype: DType, values: &[f64]) {
    assert_eq!(t.dims(), shape, "shape of {t}");
    assert_eq!(t.dtype(), dtype, "dtype of {t}");
    let got = t.to_f64_vec();
    assert!(
        got.len() == values.len() && got.iter().zip(values).all(|(&a, &b)| same(a, b)),
        "values of {t}: got {got:?}, expected {values:?}"
    );
}

/// Shape, dtype, values and `Display` equal to TF's repr.
#[track_caller]
pub fn assert_tensor(t: &Tensor, shape: &[usize], dtype: DType, values: &[f64], repr: &str) {
    assert_values(t, shape, dtype, values);
    assert_eq!(t.to_string(), repr);
}

/// The error `res` must hold: the variant of TF's exception class
/// (`error_type` as TF names it), a Display of `"<class>: ..."`, and a text
/// that contains TF's `error_message_core`.
#[track_caller]
pub fn assert_err<T: std::fmt::Debug>(res: Result<T>, error_type: &str, core: &str) -> Error {
    let err = match res {
        Ok(v) => panic!("expected {error_type}: {core:?}, got Ok({v:?})"),
        Err(e) => e,
    };
    let variant_ok = match error_type {
        "InvalidArgumentError" => matches!(err, Error::InvalidArgument(_)),
        "ValueError" => matches!(err, Error::Value(_)),
        "TypeError" => matches!(err, Error::Type(_)),
        "AttributeError" => matches!(err, Error::Attribute(_)),
        "RuntimeError" => matches!(err, Error::Runtime(_)),
        other => panic!("no Error variant for TF's {other}"),
    };
    assert!(variant_ok, "expected a {error_type}, got {err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{error_type}: ")),
        "Display names the class: {text:?}"
    );
    assert!(text.contains(core), "error text {text:?}\ndoes not contain {core:?}");
    err
}

/// A gradient's repr, or `None` as Python prints a missing gradient.
pub fn repr(t: &Option<Tensor>) -> String {
    t.as_ref().map_or_else(|| "None".to_string(), |t| t.to_string())
}

/// TF's repr of a float32 scalar `v`.
pub fn scalar(v: f32) -> String {
    format!("<tf.Tensor: shape=(), dtype=float32, numpy={v:?}>")
}

/// Runs `f` once, then `runs` times on a rayon pool of each size in
/// `threads`, and asserts every result equals the first: the same bits on
/// every run and thread count.
#[track_caller]
pub fn assert_same_on_pools<T: PartialEq + Send>(label: &str, threads: &[usize], runs: usize, f: impl Fn() -> Result<T> + Sync) -> Result<()> {
    let first = f()?;
    for &n in threads {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build().expect("a pool");
        for run in 0..runs {
            let again = pool.install(&f)?;
            assert!(again == first, "{label} run {run} on {n} thread(s) differs");
        }
    }
    Ok(())
}

/// Values spread over `decades` decades with both signs (a fixed LCG from
/// `seed`), so any change in the order of additions changes the last bits.
pub fn wild(n: usize, seed: u64, decades: i32) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|i| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            (u - 0.5) * 10f64.powi((i as i32 % decades) - decades / 2)
        })
        .collect()
}
