//! Weak tensors (issue 13): under NumPy behaviour's 'all' and 'safe' modes
//! TF keeps a "weak" type for values from Python literals, carries it by the
//! `flexible_dtypes.py` lattice, and shows it in the repr. One test per
//! golden case of the `weak` area (tf_cases_2.json), each on its own engine
//! (TF runs each case in a fresh process), plus the rules beyond the cases.

mod golden2;

use golden2::{check, expect};
use gradtape::*;

/// An engine with `experimental_enable_numpy_behavior(dtype_conversion_mode=mode)`.
fn engine(mode: PromotionMode) -> Engine {
    let e = Engine::cpu();
    e.enable_numpy_behavior(mode);
    e
}

/// The case's values and reprs, and each tensor's weakness (`"weak"` and
/// TF's `EagerWeakTensor` type), which the shared checker does not compare.
#[track_caller]
fn check_weak(id: &str, got: Vec<Tensor>) {
    let want = expect(id);
    let items: Vec<&serde_json::Value> = match want["kind"].as_str() {
        Some("list") => want["items"].as_array().expect("items").iter().collect(),
        _ => vec![want],
    };
    for (t, w) in got.iter().zip(&items) {
        if w["kind"] == "tensor" {
            assert_eq!(t.is_weak(), w["weak"] == true, "case {id}: weakness of {t}");
        }
    }
    if got.len() == 1 && want["kind"] != "list" {
        check(id, got.into_iter().next().expect("one"));
    } else {
        check(id, got);
    }
}

/// `tf.constant(1.5)` under 'all' is an `EagerWeakTensor`, shown with `weak=True`.
#[test]
fn weak_all_constant_float_repr() -> Result<()> {
    let e = engine(PromotionMode::All);
    let x = e.constant(1.5)?;
    let want = expect("weak_all_constant_float_repr");
    assert_eq!(x.to_string(), want["items"][1]["value"].as_str().expect("repr"));
    assert_eq!(x.to_string(), want["items"][0]["repr"].as_str().expect("repr"));
    assert_eq!((x.dtype().name(), x.scalar::<f32>()?), ("float32", 1.5));
    assert_eq!(want["items"][2]["value"], "EagerWeakTensor");
    assert!(x.is_weak() && want["items"][0]["weak"] == true);
    Ok(())
}

/// A literal list is weak; an explicit dtype makes a plain `EagerTensor`.
#[test]
fn weak_all_isinstance() -> Result<()> {
    let e = engine(PromotionMode::All);
    let (w, s) = (e.constant([1, 2])?, e.constant_with([1, 2], DType::I32)?);
    let want = expect("weak_all_isinstance");
    assert_eq!(want["items"][0]["value"], "EagerWeakTensor");
    assert!(w.is_weak());
    assert_eq!(want["items"][2]["value"], "EagerTensor");
    assert!(!s.is_weak());
    Ok(())
}

/// weak int32 + int64 tensor → int64, not weak.
#[test]
fn weak_all_weak_int_plus_i64() -> Result<()> {
    let e = engine(PromotionMode::All);
    let r = (&e.constant([1, 2])? + &e.constant_with([3, 4], DType::I64)?)?;
    check_weak("weak_all_weak_int_plus_i64", vec![r]);
    Ok(())
}

/// weak float32 + float64 → float64; weak float32 + int32 → **weak float64**.
#[test]
fn weak_all_weak_float_plus_f64() -> Result<()> {
    let e = engine(PromotionMode::All);
    let a = (&e.constant(1.5)? + &e.constant_with([1., 2.], DType::F64)?)?;
    let b = (&e.constant(1.5)? + &e.constant_with([1, 2], DType::I32)?)?;
    check_weak("weak_all_weak_float_plus_f64", vec![a, b]);
    Ok(())
}

/// An int32 variable plus a Python float: weak float64.
#[test]
fn weak_all_variable_plus_pyfloat() -> Result<()> {
    let e = engine(PromotionMode::All);
    let v = e.variable([1, 2])?;
    check_weak("weak_all_variable_plus_pyfloat", vec![(&v + 1.5)?]);
    Ok(())
}

/// 'safe': float32 + Python int stays float32, not weak.
#[test]
fn weak_safe_f32_plus_pyint_ok() -> Result<()> {
    let e = engine(PromotionMode::Safe);
    check_weak("weak_safe_f32_plus_pyint_ok", vec![(&e.constant_with([1., 2.], DType::F32)? + 1)?]);
    Ok(())
}

/// 'safe': weak int32 + float32 tensor → float32 (allowed).
#[test]
fn weak_safe_weak_int_plus_f32() -> Result<()> {
    let e = engine(PromotionMode::Safe);
    let r = (&e.constant([1, 2])? + &e.constant_with([1., 2.], DType::F32)?)?;
    check_weak("weak_safe_weak_int_plus_f32", vec![r]);
    Ok(())
}

/// 'safe': an int32 tensor plus a Python float is refused, describing the
/// literal as TF's lattice does, `(<dtype: 'float32'>, weak=True)`, in
/// operand order, with no `[Op:...]` (Python raises it before any op).
#[test]
fn weak_safe_int_plus_pyfloat_is_refused() -> Result<()> {
    let e = engine(PromotionMode::Safe);
    let t = e.constant_with([1, 2], DType::I32)?;
    let tail = " is disallowed. You need to explicitly specify the dtype in your op, or relax your dtype promotion rules (such as from SAFE mode to ALL mode).";
    let err = (&t + 1.5).unwrap_err();
    assert_eq!(err, Error::Type(format!("In promotion mode PromoMode.SAFE, implicit dtype promotion between (<dtype: 'int32'>, weak=False) and (<dtype: 'float32'>, weak=True){tail}")));
    let err = (1.5 + &t).unwrap_err();
    assert_eq!(err, Error::Type(format!("In promotion mode PromoMode.SAFE, implicit dtype promotion between (<dtype: 'float32'>, weak=True) and (<dtype: 'int32'>, weak=False){tail}")));
    // A weak int list plus a Python float is weak float32 even in 'safe'.
    let w = (&e.constant([1, 2])? + 0.5)?;
    assert_eq!((w.dtype(), w.is_weak()), (DType::F32, true));
    Ok(())
}

/// Weakness flows on: weak ⊕ weak stays weak, unary ops keep it, a plain
/// operand of a wider or equal kind ends it, comparisons give plain bool,
/// and nothing is weak outside 'all'/'safe'.
#[test]
fn weak_propagation_rules() -> Result<()> {
    let e = engine(PromotionMode::All);
    let w = e.constant([1.0, -2.0])?;
    let ww = (&w * 2)?;
    assert!(ww.is_weak() && ww.dtype() == DType::F32);
    assert!(ww.abs()?.is_weak() && ww.neg()?.is_weak());
    assert_eq!(ww.abs()?.to_string(), "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([2., 4.], dtype=float32), weak=True>");
    assert!(!(&ww + &e.constant_with([1.0, 1.0], DType::F32)?)?.is_weak());
    assert!(!ww.less(0.0)?.is_weak());
    let int_weak = (&e.constant([1, 2])? + 1)?;
    assert_eq!((int_weak.dtype(), int_weak.is_weak()), (DType::I32, true));
    let legacy = engine(PromotionMode::Legacy);
    assert!(!legacy.constant(1.5)?.is_weak());
    assert!(!Engine::cpu().constant([1, 2])?.is_weak());
    Ok(())
}

/// `prefer_float32`: in 'legacy' a Python float becomes a float32 scalar
/// (`bool + 1.5` is float32, not NumPy's float64); `int32 + 1.5` is still
/// float64 (`np.result_type(int32, float32)`), float32 tensors stay float32.
#[test]
fn prefer_float32_option() -> Result<()> {
    let e = Engine::cpu();
    e.enable_numpy_behavior_with(true, PromotionMode::Legacy);
    assert!(e.numpy_prefers_float32());
    assert_eq!((&e.constant([true, false])? + 1.5)?.dtype(), DType::F32);
    assert_eq!((&e.constant([1, 2])? + 1.5)?.dtype(), DType::F64);
    assert_eq!((&e.constant([1.0f32])? + 1.5)?.dtype(), DType::F32);
    let plain = engine(PromotionMode::Legacy);
    assert!(!plain.numpy_prefers_float32());
    assert_eq!((&plain.constant([true, false])? + 1.5)?.dtype(), DType::F64);
    Ok(())
}
