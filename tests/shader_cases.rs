//! The shaders' op `case` labels are the registry's discriminants: every
//! primitive in `UnaryOp::ALL` / `BinaryOp::ALL` / `ReduceOp::ALL` has a case
//! in its family's shader function, and no case is left without an op. Reads
//! `shaders/*.glsl` as text, so it runs in the CPU build too.

use std::collections::BTreeSet;

use gradtape::ops::binary::BinaryOp;
use gradtape::ops::reduce::ReduceOp;
use gradtape::ops::unary::UnaryOp;

fn shader(name: &str) -> String {
    let path = format!("{}/shaders/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The body of the function whose definition line starts with `head`, up
/// to its closing brace in column 0.
fn body<'a>(src: &'a str, head: &str) -> &'a str {
    let start = src.find(head).unwrap_or_else(|| panic!("no `{head}` in the shader"));
    let rest = &src[start..];
    let end = rest.find("\n}").unwrap_or_else(|| panic!("`{head}` has no closing brace"));
    &rest[..end]
}

/// Every `case Nu:` label in `text`, across all `#if` branches.
fn labels(text: &str) -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("case ") {
        let tail = &text[i + 5..];
        let digits: String = tail.chars().take_while(|c| c.is_ascii_digit()).collect();
        assert!(tail[digits.len()..].starts_with("u:"), "unexpected case label: {}", &tail[..tail.len().min(20)]);
        out.insert(digits.parse().expect("a number"));
    }
    out
}

fn codes<T: Copy>(all: &[T], code: impl Fn(T) -> u32) -> BTreeSet<u32> {
    all.iter().map(|&op| code(op)).collect()
}

#[test]
fn discriminants_are_distinct_and_names_round_trip() {
    assert_eq!(codes(UnaryOp::ALL, UnaryOp::code).len(), UnaryOp::ALL.len());
    assert_eq!(codes(BinaryOp::ALL, BinaryOp::code).len(), BinaryOp::ALL.len());
    assert_eq!(codes(ReduceOp::ALL, ReduceOp::code).len(), ReduceOp::ALL.len());
    for &op in UnaryOp::ALL {
        assert_eq!(UnaryOp::from_name(op.name()), Some(op));
    }
    for &op in BinaryOp::ALL {
        assert_eq!(BinaryOp::from_name(op.name()), Some(op));
    }
    for &op in ReduceOp::ALL {
        assert_eq!(ReduceOp::from_name(op.name()), Some(op));
    }
    assert_eq!(UnaryOp::from_name("NoSuchOp"), None);
}

#[test]
fn unary_cases_are_the_registry() {
    let src = shader("elementwise.glsl");
    assert_eq!(labels(body(&src, "T unary_op(")), codes(UnaryOp::ALL, UnaryOp::code));
}

#[test]
fn binary_cases_are_the_registry() {
    let src = shader("elementwise.glsl");
    let arith: Vec<BinaryOp> = BinaryOp::ALL.iter().copied().filter(|b| !b.is_comparison()).collect();
    let cmp: Vec<BinaryOp> = BinaryOp::ALL.iter().copied().filter(|b| b.is_comparison()).collect();
    assert_eq!(labels(body(&src, "T binary_op(")), codes(&arith, BinaryOp::code));
    assert_eq!(labels(body(&src, "bool compare_op(")), codes(&cmp, BinaryOp::code));
    // binary.comp tells comparisons (which write bool) by their code range.
    let (lo, hi) = (cmp.iter().map(|b| b.code()).min().unwrap(), cmp.iter().map(|b| b.code()).max().unwrap());
    assert_eq!((hi - lo + 1) as usize, cmp.len(), "comparison codes are one range");
    let range = format!("return op >= {lo}u && op <= {hi}u;");
    assert!(body(&src, "bool is_comparison(").contains(&range), "is_comparison is not `{range}`");
}

#[test]
fn reduce_cases_are_the_registry() {
    let src = shader("reduce.comp");
    // Mean has no case: the device crate runs it as a sum with a divisor.
    let shaded: Vec<ReduceOp> = ReduceOp::ALL.iter().copied().filter(|&r| r != ReduceOp::Mean).collect();
    assert_eq!(labels(body(&src, "T combine(")), codes(&shaded, ReduceOp::code));
    assert!(labels(body(&src, "T identity(")).is_subset(&codes(&shaded, ReduceOp::code)));
}
