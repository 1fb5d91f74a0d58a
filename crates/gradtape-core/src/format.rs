//! NumPy-compatible text of host buffers: `repr` of the array exactly as
//! NumPy 2.x prints it with the default print options, and TF's tensor and
//! variable reprs around it.

use crate::format_float::{python_float_repr, shortest_text, FloatFormat};
use crate::{HostData, Shape};

const LINE_WIDTH: usize = 75;
const THRESHOLD: usize = 1000;
const EDGE_ITEMS: usize = 3;
const PREFIX: &str = "array(";
const SEPARATOR: &str = ", ";

/// NumPy's repr of the array, as TF embeds it after `numpy=`: for rank >= 1
/// `array([1., 2.], dtype=float32)` (multi-line for rank >= 2, numpy's line wrapping at 75 chars,
/// `dtype=` suffix omitted for int64, float64 and bool as numpy does, `array([], shape=(0, 2, 3), dtype=float32)`
/// for empty arrays, `...` summaries plus `shape=` past 1000 elements); for rank 0 the scalar's
/// text as TF 2.21 shows it, Python's `repr(value.item())`: `3`, `3.0`, `True`, `nan`, `inf`,
/// `1e-05`, and float32 0.1 as `0.10000000149011612` (checked against TF 2.21 + NumPy 2.4.6).
pub fn numpy_repr(data: &HostData, shape: &Shape) -> String {
    if shape.rank() == 0 {
        return scalar_text(data);
    }
    let size = shape.numel();
    let summarize = size > THRESHOLD;
    let body = if size == 0 {
        "[]".to_string()
    } else {
        let shown = shown_indices(shape.dims(), summarize);
        let fmt = ElemFormat::new(data, &shown);
        let printer = Printer { data, fmt: &fmt, dims: shape.dims(), strides: &shape.strides(), summarize, sep: SEPARATOR };
        let hanging = " ".repeat(1 + PREFIX.len());
        // NumPy reserves room for the closing `)`.
        printer.recurse(&mut Vec::new(), &hanging, LINE_WIDTH as isize - 1)
    };

    let mut extras = Vec::new();
    if (size == 0 && shape.dims() != [0]) || summarize {
        extras.push(format!("shape={}", shape.tuple()));
    }
    let dtype_implied = matches!(data, HostData::Bool(_) | HostData::I64(_) | HostData::F64(_));
    if !dtype_implied || size == 0 {
        extras.push(format!("dtype={}", data.dtype().name()));
    }
    if extras.is_empty() {
        return format!("{PREFIX}{body})");
    }
    let arr = format!("{PREFIX}{body},");
    let extra = format!("{})", extras.join(", "));
    let last_line_len = arr.len() - arr.rfind('\n').map_or(0, |i| i + 1);
    let spacer = if last_line_len + extra.len() + 1 > LINE_WIDTH {
        format!("\n{}", " ".repeat(PREFIX.len()))
    } else {
        " ".to_string()
    };
    format!("{arr}{spacer}{extra}")
}

/// NumPy's `str` of the array, as TF's `print(tensor)` shows it: no
/// `array(` and no dtype, elements separated by one space and wrapped at
/// 75 characters (`[1. 2.]`, `[[1 2]\n [3 4]]`, `[ True False]`); for rank 0
/// NumPy's `str` of the scalar (float32 0.1 is `0.1`, 1e-5 is `1e-05`).
pub fn numpy_str(data: &HostData, shape: &Shape) -> String {
    if shape.rank() == 0 {
        const MSG: &str = "internal: a rank-0 buffer holds one element";
        return match data {
            HostData::F32(v) => shortest_text(*v.first().expect(MSG)),
            HostData::F64(v) => shortest_text(*v.first().expect(MSG)),
            HostData::F16(v) => shortest_text(*v.first().expect(MSG)),
            HostData::BF16(v) => cpp_float_text(v.first().expect(MSG).to_f32()),
            _ => scalar_text(data),
        };
    }
    let size = shape.numel();
    if size == 0 {
        return "[]".into();
    }
    let summarize = size > THRESHOLD;
    let shown = shown_indices(shape.dims(), summarize);
    let fmt = ElemFormat::new(data, &shown);
    let printer = Printer { data, fmt: &fmt, dims: shape.dims(), strides: &shape.strides(), summarize, sep: " " };
    printer.recurse(&mut Vec::new(), " ", LINE_WIDTH as isize)
}

/// TF's `str(tensor)`: `tf.Tensor([1. 2.], shape=(2,), dtype=float32)`, with
/// a newline after `tf.Tensor(` when the array takes several lines.
pub fn tensor_str(data: &HostData, shape: &Shape) -> String {
    let text = numpy_str(data, shape);
    let text = if text.contains('\n') { format!("\n{text}") } else { text };
    format!("tf.Tensor({text}, shape={}, dtype={})", shape.tuple(), data.dtype().name())
}

/// `<tf.Tensor: shape=(4,), dtype=float32, numpy=array([1., 2., 3., 4.], dtype=float32)>`; when the numpy text contains a newline TF puts "\n" right after `numpy=`.
pub fn tensor_repr(data: &HostData, shape: &Shape) -> String {
    format!(
        "<tf.Tensor: shape={}, dtype={}, numpy={}>",
        shape.tuple(),
        data.dtype().name(),
        numpy_text(data, shape)
    )
}

/// A weak tensor's repr: TF's `EagerWeakTensor` adds `, weak=True` at the end.
pub fn weak_tensor_repr(data: &HostData, shape: &Shape) -> String {
    let strong = tensor_repr(data, shape);
    format!("{}, weak=True>", &strong[..strong.len() - 1])
}

/// `<tf.Variable 'Variable:0' shape=(3,) dtype=float32, numpy=array([1., 2., 3.], dtype=float32)>` (name given, e.g. "Variable:0"; same newline rule).
pub fn variable_repr(name: &str, data: &HostData, shape: &Shape) -> String {
    format!(
        "<tf.Variable '{name}' shape={} dtype={}, numpy={}>",
        shape.tuple(),
        data.dtype().name(),
        numpy_text(data, shape)
    )
}

fn numpy_text(data: &HostData, shape: &Shape) -> String {
    let text = numpy_repr(data, shape);
    if text.contains('\n') {
        format!("\n{text}")
    } else {
        text
    }
}

/// TF shows a rank-0 tensor as Python's `repr()` of the value as a Python scalar.
fn scalar_text(data: &HostData) -> String {
    const MSG: &str = "internal: a rank-0 buffer holds one element";
    match data {
        HostData::Bool(v) => if *v.first().expect(MSG) { "True" } else { "False" }.into(),
        HostData::I32(v) => v.first().expect(MSG).to_string(),
        HostData::I64(v) => v.first().expect(MSG).to_string(),
        HostData::F32(v) => python_float_repr(*v.first().expect(MSG) as f64),
        HostData::F64(v) => python_float_repr(*v.first().expect(MSG)),
        HostData::F16(v) => python_float_repr(v.first().expect(MSG).to_f64()),
        HostData::BF16(v) => cpp_float_text(v.first().expect(MSG).to_f32()),
        HostData::U8(v) => v.first().expect(MSG).to_string(),
        HostData::I8(v) => v.first().expect(MSG).to_string(),
        HostData::I16(v) => v.first().expect(MSG).to_string(),
    }
}

/// C++'s `std::ostream << x` with the default flags: `%g` with six
/// significant digits (`1`, `0.100098`, `1e+06`, `-inf`, `nan`).
fn cpp_float_text(x: f32) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // %g: scientific when the exponent (after rounding to 6 digits) is below -4 or at least 6.
    let sci = format!("{:.5e}", f64::from(x));
    let (mant, exp) = sci.split_once('e').expect("internal: {:e} has an exponent");
    let exp: i32 = exp.parse().expect("internal: {:e}'s exponent is an integer");
    let trim = |t: &str| -> String {
        if t.contains('.') { t.trim_end_matches('0').trim_end_matches('.').to_string() } else { t.to_string() }
    };
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mant), exp.abs())
    } else {
        trim(&format!("{:.*}", (5 - exp).max(0) as usize, f64::from(x)))
    }
}

/// Flat indices of the elements NumPy prints (all, or the `edgeitems`
/// corners of every axis when summarizing); only they decide the layout.
fn shown_indices(dims: &[usize], summarize: bool) -> Vec<usize> {
    let mut out = vec![0usize];
    for &d in dims {
        let axis: Vec<usize> = if summarize && d > 2 * EDGE_ITEMS {
            (0..EDGE_ITEMS).chain(d - EDGE_ITEMS..d).collect()
        } else {
            (0..d).collect()
        };
        out = out.iter().flat_map(|&base| axis.iter().map(move |&i| base * d + i)).collect();
    }
    out
}

enum ElemFormat {
    Bool,
    Int(usize),
    F32(FloatFormat),
    F64(FloatFormat),
    Half(FloatFormat),
    /// ml_dtypes' bfloat16 is not a NumPy float type, so NumPy prints each
    /// element with its `repr`, which is C++'s `ostream << float` (`%g`, six
    /// significant digits), unpadded: `array([1, 0.100098], dtype=bfloat16)`.
    Cpp,
}

impl ElemFormat {
    fn new(data: &HostData, shown: &[usize]) -> ElemFormat {
        fn pick<T: Copy>(v: &[T], shown: &[usize]) -> Vec<T> {
            shown.iter().map(|&i| v[i]).collect()
        }
        fn int_width<T: Copy + Ord + ToString>(v: Vec<T>) -> usize {
            let max = v.iter().max().map_or(0, |x| x.to_string().len());
            let min = v.iter().min().map_or(0, |x| x.to_string().len());
            max.max(min)
        }
        match data {
            HostData::Bool(_) => ElemFormat::Bool,
            HostData::I32(v) => ElemFormat::Int(int_width(pick(v, shown))),
            HostData::I64(v) => ElemFormat::Int(int_width(pick(v, shown))),
            HostData::F32(v) => ElemFormat::F32(FloatFormat::new(&pick(v, shown))),
            HostData::F64(v) => ElemFormat::F64(FloatFormat::new(&pick(v, shown))),
            HostData::U8(v) => ElemFormat::Int(int_width(pick(v, shown))),
            HostData::I8(v) => ElemFormat::Int(int_width(pick(v, shown))),
            HostData::I16(v) => ElemFormat::Int(int_width(pick(v, shown))),
            HostData::F16(v) => ElemFormat::Half(FloatFormat::new(&pick(v, shown))),
            HostData::BF16(_) => ElemFormat::Cpp,
        }
    }

    fn format(&self, data: &HostData, i: usize) -> String {
        match (self, data) {
            (ElemFormat::Bool, HostData::Bool(v)) => if v[i] { " True" } else { "False" }.into(),
            (ElemFormat::Int(w), HostData::I32(v)) => format!("{:>w$}", v[i]),
            (ElemFormat::Int(w), HostData::I64(v)) => format!("{:>w$}", v[i]),
            (ElemFormat::F32(f), HostData::F32(v)) => f.format(v[i]),
            (ElemFormat::F64(f), HostData::F64(v)) => f.format(v[i]),
            (ElemFormat::Int(w), HostData::U8(v)) => format!("{:>w$}", v[i]),
            (ElemFormat::Int(w), HostData::I8(v)) => format!("{:>w$}", v[i]),
            (ElemFormat::Int(w), HostData::I16(v)) => format!("{:>w$}", v[i]),
            (ElemFormat::Half(f), HostData::F16(v)) => f.format(v[i]),
            (ElemFormat::Cpp, HostData::BF16(v)) => cpp_float_text(v[i].to_f32()),
            _ => unreachable!("internal: element format built for another dtype"),
        }
    }
}

/// NumPy's `_formatArray` with separator `sep` (`, ` for repr, ` ` for str).
struct Printer<'a> {
    data: &'a HostData,
    fmt: &'a ElemFormat,
    dims: &'a [usize],
    strides: &'a [usize],
    summarize: bool,
    sep: &'a str,
}

impl Printer<'_> {
    fn recurse(&self, index: &mut Vec<usize>, hanging: &str, width: isize) -> String {
        let axis = index.len();
        if axis == self.dims.len() {
            let flat = index.iter().zip(self.strides).map(|(i, s)| i * s).sum();
            return self.fmt.format(self.data, flat);
        }
        let axes_left = self.dims.len() - axis;
        let next_hanging = format!("{hanging} ");
        let next_width = width - 1;
        let len = self.dims[axis];
        let show_summary = self.summarize && 2 * EDGE_ITEMS < len;
        let (leading, trailing) = if show_summary { (EDGE_ITEMS, EDGE_ITEMS) } else { (0, len) };
        // Positions in print order: `None` is the `...` marker.
        let order: Vec<Option<usize>> = (0..leading)
            .map(Some)
            .chain(show_summary.then_some(None))
            .chain((len - trailing..len).map(Some))
            .collect();
        let mut item = |i: usize| {
            index.push(i);
            let s = self.recurse(index, &next_hanging, next_width);
            index.pop();
            s
        };

        let mut s = String::new();
        if axes_left == 1 {
            // Rows wrap before an element that would reach past the room left
            // for a `,` or `]` (the last element included).
            let elem_width = width - self.sep.trim_end().len() as isize;
            let mut line = hanging.to_string();
            let last = order.len() - 1;
            for (k, &pos) in order.iter().enumerate() {
                let word = pos.map_or_else(|| "...".to_string(), &mut item);
                extend_line(&mut s, &mut line, &word, elem_width, hanging);
                if k != last {
                    line.push_str(self.sep);
                }
            }
            s.push_str(&line);
        } else {
            let line_sep = format!("{}{}", self.sep.trim_end(), "\n".repeat(axes_left - 1));
            let last = order.len() - 1;
            for (k, &pos) in order.iter().enumerate() {
                let nested = pos.map_or_else(|| "...".to_string(), &mut item);
                s.push_str(hanging);
                s.push_str(&nested);
                if k != last {
                    s.push_str(&line_sep);
                }
            }
        }
        format!("[{}]", &s[hanging.len()..])
    }
}

/// NumPy's `_extendLine`: wraps unless the line holds only the indent.
fn extend_line(s: &mut String, line: &mut String, word: &str, width: isize, indent: &str) {
    let needs_wrap = (line.len() + word.len()) as isize > width && line.len() > indent.len();
    if needs_wrap {
        s.push_str(line.trim_end());
        s.push('\n');
        *line = indent.to_string();
    }
    line.push_str(word);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// A float value: a JSON number, or text (`"nan"`, `"inf"`, `"-inf"`, or
    /// digits, which the generated cases use because serde_json's default
    /// number parsing is not correctly rounded).
    fn float(v: &Value) -> f64 {
        match v {
            Value::String(s) => match s.as_str() {
                "nan" => f64::NAN,
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                digits => digits.parse().expect("float text"),
            },
            _ => v.as_f64().expect("a number"),
        }
    }

    /// Rebuilds a buffer from a case's `dtype` and flat `values`.
    fn host_data(dtype: &str, values: &[Value]) -> HostData {
        let int = |v: &Value| v.as_i64().expect("an integer");
        match dtype {
            "bool" => {
                HostData::Bool(values.iter().map(|v| v.as_bool().unwrap_or_else(|| int(v) != 0)).collect())
            }
            "int32" => HostData::I32(values.iter().map(|v| int(v) as i32).collect()),
            "int64" => HostData::I64(values.iter().map(int).collect()),
            "float32" => HostData::F32(values.iter().map(|v| float(v) as f32).collect()),
            "float64" => HostData::F64(values.iter().map(float).collect()),
            "uint8" => HostData::U8(values.iter().map(|v| int(v) as u8).collect()),
            "int8" => HostData::I8(values.iter().map(|v| int(v) as i8).collect()),
            "int16" => HostData::I16(values.iter().map(|v| int(v) as i16).collect()),
            "float16" => HostData::F16(values.iter().map(|v| half::f16::from_f64(float(v))).collect()),
            "bfloat16" => HostData::BF16(values.iter().map(|v| half::bf16::from_f64(float(v))).collect()),
            other => panic!("unexpected dtype {other}"),
        }
    }

    fn case_parts(v: &Value) -> (HostData, Shape) {
        let dims: Vec<usize> = v["shape"]
            .as_array()
            .expect("shape is a list")
            .iter()
            .map(|d| d.as_u64().expect("a dimension") as usize)
            .collect();
        let values = v["values"].as_array().expect("values is a list");
        (host_data(v["dtype"].as_str().expect("dtype is text"), values), Shape::from(dims))
    }

    /// Checks every tensor/variable repr nested anywhere in `v`.
    fn check_golden(v: &Value, checked: &mut usize, failures: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                let kind = map.get("kind").and_then(Value::as_str);
                if let (Some(kind @ ("tensor" | "variable")), Some(Value::String(want))) =
                    (kind, map.get("repr"))
                {
                    let (data, shape) = case_parts(v);
                    let got = if kind == "variable" {
                        variable_repr(map["name"].as_str().expect("variable name"), &data, &shape)
                    } else {
                        tensor_repr(&data, &shape)
                    };
                    *checked += 1;
                    if &got != want {
                        failures.push(format!("want:\n{want}\ngot:\n{got}"));
                    }
                }
                map.values().for_each(|x| check_golden(x, checked, failures));
            }
            Value::Array(items) => items.iter().for_each(|x| check_golden(x, checked, failures)),
            _ => {}
        }
    }

    #[test]
    fn golden_reprs_match_tensorflow() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden/tf_cases.json");
        let text = std::fs::read_to_string(path).expect("golden cases are readable");
        let cases: Value = serde_json::from_str(&text).expect("golden cases are JSON");
        let (mut checked, mut failures) = (0, Vec::new());
        check_golden(&cases, &mut checked, &mut failures);
        assert!(checked > 100, "only {checked} reprs found");
        assert!(failures.is_empty(), "{} of {checked} differ:\n{}", failures.len(), failures.join("\n\n"));
    }

    /// Cases generated by NumPy itself, one JSON object per line with
    /// `dtype`, `shape`, `values`, `repr` (and, from real TF, `name`,
    /// `tensor_repr`, `variable_repr`); the file is named by
    /// `GRADTAPE_NUMPY_REPR_CASES` (skipped when unset).
    #[test]
    fn numpy_generated_reprs() {
        let Ok(path) = std::env::var("GRADTAPE_NUMPY_REPR_CASES") else { return };
        let text = std::fs::read_to_string(&path).expect("cases file is readable");
        let (mut checked, mut failures) = (0, Vec::new());
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let case: Value = serde_json::from_str(line).expect("a JSON case");
            let (data, shape) = case_parts(&case);
            let mut pairs = vec![(numpy_repr(&data, &shape), &case["repr"])];
            if let Some(name) = case.get("name").and_then(Value::as_str) {
                pairs.push((tensor_repr(&data, &shape), &case["tensor_repr"]));
                pairs.push((variable_repr(name, &data, &shape), &case["variable_repr"]));
            }
            checked += 1;
            for (got, want) in pairs {
                if got != want.as_str().expect("reprs are text") {
                    failures.push(format!("{shape:?} {:?}\nwant:\n{want}\ngot:\n{got}", data.dtype()));
                }
            }
        }
        let shown: Vec<_> = failures.iter().take(20).cloned().collect();
        assert!(failures.is_empty(), "{} of {checked} differ:\n{}", failures.len(), shown.join("\n\n"));
    }

    #[test]
    fn layout_rules() {
        let r = |d: HostData, s: &[usize]| numpy_repr(&d, &Shape::new(s));
        assert_eq!(r(HostData::F32(vec![0.1]), &[]), "0.10000000149011612");
        assert_eq!(r(HostData::F32(vec![1_148_993.0 / 8.0]), &[1]), "array([143624.12], dtype=float32)");
        assert_eq!(r(HostData::F64(vec![1e16]), &[]), "1e+16");
        assert_eq!(r(HostData::F32(vec![f32::NAN, -0.5]), &[2]), "array([ nan, -0.5], dtype=float32)");
        assert_eq!(r(HostData::F64(vec![1e-5, 1e10]), &[2]), "array([1.e-05, 1.e+10])");
        assert_eq!(r(HostData::I64(vec![]), &[0]), "array([], dtype=int64)");
        assert_eq!(r(HostData::Bool(vec![true, false]), &[2]), "array([ True, False])");
        let long = r(HostData::I32((0..30).collect()), &[30]);
        assert!(
            long.ends_with("16,\n       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dtype=int32)"),
            "{long}"
        );
        let big = r(HostData::I64((0..2000).collect()), &[2, 1000]);
        assert!(big.contains(", ..., ") && big.ends_with("shape=(2, 1000))"), "{big}");
    }
}

#[cfg(test)]
mod str_tests {
    use super::*;

    fn s(data: HostData, dims: &[usize]) -> String {
        tensor_str(&data, &Shape::new(dims))
    }

    /// Checked against TensorFlow 2.21 / NumPy 2.4.6 `print(t)`.
    #[test]
    fn str_form_is_numpy_str_inside_tf_tensor() {
        assert_eq!(s(HostData::F32(vec![1., 2.]), &[2]), "tf.Tensor([1. 2.], shape=(2,), dtype=float32)");
        assert_eq!(s(HostData::F32(vec![0.1]), &[]), "tf.Tensor(0.1, shape=(), dtype=float32)");
        assert_eq!(s(HostData::F32(vec![1e-5]), &[]), "tf.Tensor(1e-05, shape=(), dtype=float32)");
        assert_eq!(s(HostData::F64(vec![2.0]), &[]), "tf.Tensor(2.0, shape=(), dtype=float64)");
        assert_eq!(s(HostData::I32(vec![1, 2, 3, 4]), &[2, 2]), "tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)");
        assert_eq!(s(HostData::Bool(vec![true, false]), &[2]), "tf.Tensor([ True False], shape=(2,), dtype=bool)");
        assert_eq!(s(HostData::I64(vec![7]), &[]), "tf.Tensor(7, shape=(), dtype=int64)");
        assert_eq!(s(HostData::F32(vec![]), &[0]), "tf.Tensor([], shape=(0,), dtype=float32)");
        assert_eq!(s(HostData::F32(vec![1.5, -2.25]), &[2]), "tf.Tensor([ 1.5  -2.25], shape=(2,), dtype=float32)");
    }

    #[test]
    fn str_wraps_at_75_columns_with_one_space() {
        // np.arange(30.) prints 18 per line: `[ 0.  1. ...` (4-wide elements).
        let v: Vec<f64> = (0..30).map(f64::from).collect();
        let text = numpy_str(&HostData::F64(v), &Shape::new(&[30]));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "[ 0.  1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17.");
        assert_eq!(lines[1], " 18. 19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29.]");
    }
}
