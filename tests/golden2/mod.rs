//! The round-2 golden cases (`tests/golden/tf_cases_2.json`, copied from
//! see `tests/golden/README.md`): each test computes a case's program in Rust and
//! hands the outcome to [`check`], which compares it with what TF 2.21 gave.

#![allow(dead_code)]

use std::sync::OnceLock;

use gradtape::*;
use serde_json::Value;

fn cases() -> &'static Vec<Value> {
    static CASES: OnceLock<Vec<Value>> = OnceLock::new();
    CASES.get_or_init(|| {
        let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/tf_cases_2.json"));
        serde_json::from_str(text).expect("tf_cases_2.json parses")
    })
}

/// The case's `expect` object.
pub fn expect(id: &str) -> &'static Value {
    &cases().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no golden case {id}"))["expect"]
}

/// What a Rust port of a case produced.
pub enum Out {
    /// A tensor.
    T(Tensor),
    /// An error.
    E(Error),
    /// A Python list or tuple.
    L(Vec<Out>),
    /// Python's `None`.
    None,
    /// A plain Python number or bool.
    Num(f64),
    /// A plain Python string (a dtype's name, say).
    Str(String),
    /// A Python dict, compared key by key.
    D(Vec<(&'static str, Out)>),
}

impl From<Tensor> for Out {
    fn from(t: Tensor) -> Out {
        Out::T(t)
    }
}
impl From<Result<Tensor>> for Out {
    fn from(r: Result<Tensor>) -> Out {
        match r {
            Ok(t) => Out::T(t),
            Err(e) => Out::E(e),
        }
    }
}
impl From<Option<Tensor>> for Out {
    fn from(t: Option<Tensor>) -> Out {
        t.map_or(Out::None, Out::T)
    }
}
impl<T: Into<Out>> From<Vec<T>> for Out {
    fn from(v: Vec<T>) -> Out {
        Out::L(v.into_iter().map(Into::into).collect())
    }
}

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "nan" => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        Value::Bool(b) => *b as u8 as f64,
        v => v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")),
    }
}

/// Exact equality (NaN equals NaN, and the sign of zero counts).
fn exact(a: f64, b: f64) -> bool {
    (a == b && a.is_sign_negative() == b.is_sign_negative()) || (a.is_nan() && b.is_nan())
}

/// Within `ulps` units in the last place of `dtype` (0 = exact).
fn close(a: f64, b: f64, dtype: DType, ulps: u32) -> bool {
    if exact(a, b) || ulps == 0 {
        return exact(a, b);
    }
    if !a.is_finite() || !b.is_finite() {
        return false;
    }
    let ulp = match dtype {
        DType::F32 => f32::EPSILON as f64 * (b.abs() as f32).max(f32::MIN_POSITIVE) as f64,
        _ => f64::EPSILON * b.abs().max(f64::MIN_POSITIVE),
    };
    (a - b).abs() <= ulps as f64 * ulp
}

/// Checks `got` against case `id` exactly (values bit for bit, TF's repr).
#[track_caller]
pub fn check(id: &str, got: impl Into<Out>) {
    check_ulps(id, got, 0)
}

/// Like [`check`], with float values allowed `ulps` units in the last place
/// (for Eigen's vectorised exp/log/tanh, or a different order of summing
/// gradient contributions); the repr is compared where the values are exact.
#[track_caller]
pub fn check_ulps(id: &str, got: impl Into<Out>, ulps: u32) {
    let got = got.into();
    if let Err(msg) = compare(expect(id), &got, ulps, "result") {
        panic!("case {id}: {msg}");
    }
}

fn compare(e: &Value, got: &Out, ulps: u32, at: &str) -> std::result::Result<(), String> {
    let kind = e["kind"].as_str().unwrap_or("");
    match (kind, got) {
        // TF's IndexedSlices (a gather's gradient) is a dense tensor in gradtape.
        ("tensor" | "variable" | "indexed_slices", Out::T(t)) => tensor(e, t, ulps, at),
        ("error", Out::E(err)) => error(e, err, at),
        ("list" | "tuple", Out::L(items)) => {
            let want = e["items"].as_array().ok_or("no items")?;
            if want.len() != items.len() {
                return Err(format!("{at}: {} items, expected {}", items.len(), want.len()));
            }
            for (k, (w, g)) in want.iter().zip(items).enumerate() {
                compare(w, g, ulps, &format!("{at}[{k}]"))?;
            }
            Ok(())
        }
        ("none", Out::None) => Ok(()),
        ("dict", Out::D(items)) => {
            let want = e["items"].as_object().ok_or("no items")?;
            if want.len() != items.len() {
                return Err(format!("{at}: {} keys, expected {}", items.len(), want.len()));
            }
            for (k, g) in items {
                let w = want.get(*k).ok_or_else(|| format!("{at}: no key {k}"))?;
                compare(w, g, ulps, &format!("{at}[{k:?}]"))?;
            }
            Ok(())
        }
        (_, Out::Str(x)) => {
            if e["value"].as_str() == Some(x.as_str()) { Ok(()) } else { Err(format!("{at}: got {x:?}, expected {e}")) }
        }
        (_, Out::Num(x)) if e.get("value").is_some() => {
            let w = num(&e["value"]);
            if exact(*x, w) { Ok(()) } else { Err(format!("{at}: got {x}, expected {w}")) }
        }
        (_, Out::E(err)) => Err(format!("{at}: got error {err}, expected {e}")),
        (_, Out::T(t)) => Err(format!("{at}: got tensor {t}, expected {e}")),
        _ => Err(format!("{at}: outcome does not match the kind {kind}: {e}")),
    }
}

fn tensor(e: &Value, t: &Tensor, ulps: u32, at: &str) -> std::result::Result<(), String> {
    let shape: Vec<usize> = e["shape"].as_array().ok_or("no shape")?.iter().map(|d| d.as_u64().unwrap() as usize).collect();
    if t.dims() != shape.as_slice() {
        return Err(format!("{at}: shape {:?}, expected {shape:?} ({t})", t.dims()));
    }
    let dtype = e["dtype"].as_str().unwrap_or("");
    if t.dtype().name() != dtype {
        return Err(format!("{at}: dtype {}, expected {dtype} ({t})", t.dtype()));
    }
    let want: Vec<f64> = e["values"].as_array().ok_or("no values")?.iter().map(num).collect();
    let got = t.try_data().map_err(|e| e.to_string())?.to_f64_vec();
    let bad = got.len() != want.len() || got.iter().zip(&want).any(|(&a, &b)| !close(a, b, t.dtype(), ulps));
    if bad {
        return Err(format!("{at}: values {got:?}, expected {want:?}"));
    }
    // An ulp off can change the printed digits: the repr is compared when
    // the values are bit for bit TF's.
    let identical = got.iter().zip(&want).all(|(&a, &b)| exact(a, b));
    if let (Some(repr), true) = (e["repr"].as_str(), identical) {
        let shown = t.to_string();
        if e["kind"] == "tensor" && shown != repr {
            return Err(format!("{at}: repr\n{shown}\nexpected\n{repr}"));
        }
    }
    Ok(())
}

fn error(e: &Value, err: &Error, at: &str) -> std::result::Result<(), String> {
    let class = e["error_type"].as_str().unwrap_or("");
    let core = e["error_message_core"].as_str().unwrap_or("");
    if err.kind() != class {
        return Err(format!("{at}: {} error, expected {class}: {core}", err.kind()));
    }
    if !err.to_string().contains(core) {
        return Err(format!("{at}: error text {:?} does not contain {core:?}", err.to_string()));
    }
    Ok(())
}
