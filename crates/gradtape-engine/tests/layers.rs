//! The engine's layers (DESIGN.md, "The engine core"; issue 11, "No
//! circles"), checked from the crate's own source files:
//!
//! 1. data: `op` (OpKind and its payload types), `components`, `node`,
//!    `queue`, `swap_queue`, `pool`, `block`, `strided`, `par`, ...;
//! 2. `kernels`: each op family's host compute;
//! 3. backends: `backend` (the interface, `cpu`, `fuse`) and `vulkan`;
//! 4. `systems`, the flush schedule;
//! 5. `engine`;
//! 6. the rest: `Tensor`, the tape, the families' methods and gradient rules.
//!
//! A module of layers 1-5 imports only from its own layer or below (never
//! from layer 6), and those modules form no import circle; circles inside
//! layer 6 are allowed. An import is a `crate::` or `super::` path in the
//! code (comments and strings left out), resolved to the longest module
//! it names, with lib.rs's `pub use`s followed (`crate::Tensor` is
//! `tensor`). A module's imports of its own ancestors are not edges (a
//! submodule uses its parent's items).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layer of each module below the Tensor layer, by module prefix
/// (`backend` covers `backend::cpu`). Every other module is layer 6.
const LAYERS: &[(&str, u8)] = &[
    ("op", 1),
    ("components", 1),
    ("node", 1),
    ("queue", 1),
    ("swap_queue", 1),
    ("pool", 1),
    ("block", 1),
    ("strided", 1),
    ("par", 1),
    ("promotion", 1),
    ("reentry", 1),
    ("rows", 1),
    ("kernels", 2),
    ("backend", 3),
    ("vulkan", 3),
    ("systems", 4),
    ("engine", 5),
];

const TOP: u8 = 6;

fn layer(module: &str) -> u8 {
    LAYERS
        .iter()
        .find(|(p, _)| module == *p || module.strip_prefix(p).is_some_and(|r| r.starts_with("::")))
        .map_or(TOP, |&(_, l)| l)
}

/// The crate's modules (`""` is lib.rs) and their sources.
fn read_crate(src: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("src is readable") {
            let path = entry.expect("src entry").path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under src").with_extension("");
                let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                    parts.pop();
                }
                out.insert(parts.join("::"), std::fs::read_to_string(&path).expect("source is UTF-8"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

/// `src` with comments, string and char literals blanked (newlines kept,
/// so byte offsets keep their line numbers).
fn strip(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (1, i + 2);
                while j < b.len() && depth > 0 {
                    if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 2;
                    } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                blank(&mut out, i, j);
                i = j;
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#')) && (i == 0 || !is_ident(b[i - 1])) => {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let body = i + 2 + hashes;
                let end = src[body..].find(&close).map_or(b.len(), |n| body + n + close.len());
                blank(&mut out, i, end);
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i, j + 1);
                i = j + 1;
            }
            // A char literal ('x', '\n', '"'); anything else is a lifetime.
            b'\'' if b.get(i + 1) == Some(&b'\\') => {
                let end = src[i + 2..].find('\'').map_or(b.len(), |n| i + 2 + n + 1);
                blank(&mut out, i, end);
                i = end;
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') => {
                blank(&mut out, i, i + 3);
                i += 3;
            }
            _ => i += 1,
        }
    }
    String::from_utf8(out).expect("blanking keeps UTF-8 (only ASCII bytes and whole literals are replaced)")
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The paths a `use`-like path starting at `s` names: `a::b`, or each
/// leaf of a group `a::{b, c::{d, e}}`. Returns them and the end offset.
fn paths_at(s: &[u8], mut i: usize) -> (Vec<String>, usize) {
    let mut prefix = String::new();
    loop {
        let start = i;
        while i < s.len() && is_ident(s[i]) {
            i += 1;
        }
        let seg = std::str::from_utf8(&s[start..i]).expect("ASCII");
        if seg.is_empty() {
            if s.get(i) == Some(&b'{') {
                let mut out = Vec::new();
                i += 1;
                loop {
                    while i < s.len() && (s[i].is_ascii_whitespace() || s[i] == b',') {
                        i += 1;
                    }
                    if i >= s.len() || s[i] == b'}' {
                        return (out, i + 1);
                    }
                    let (inner, end) = paths_at(s, i);
                    out.extend(inner.into_iter().map(|p| if p == "self" { prefix.clone() } else { format!("{prefix}{p}") }));
                    // Skip `as alias` and anything else up to the next item.
                    i = end;
                    while i < s.len() && s[i] != b',' && s[i] != b'}' {
                        i += 1;
                    }
                }
            }
            return (vec![prefix.trim_end_matches("::").to_string()], i);
        }
        prefix.push_str(seg);
        if s.get(i) == Some(&b':') && s.get(i + 1) == Some(&b':') {
            prefix.push_str("::");
            i += 2;
        } else {
            return (vec![prefix], i);
        }
    }
}

/// One import: `from` names `to` on line `line` of its file.
#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    line: usize,
    text: String,
}

/// Every module-to-module import of the crate.
fn edges(crate_src: &BTreeMap<String, String>) -> Vec<Edge> {
    let stripped: BTreeMap<&str, String> = crate_src.iter().map(|(m, s)| (m.as_str(), strip(s))).collect();
    // lib.rs's `pub use path::{A, B};`: `crate::A` is `path::A`.
    let mut reexports: BTreeMap<String, String> = BTreeMap::new();
    let lib = stripped.get("").map(String::as_str).unwrap_or("");
    for (at, _) in lib.match_indices("pub use ") {
        let (paths, _) = paths_at(lib.as_bytes(), at + "pub use ".len());
        for p in paths {
            let name = p.rsplit("::").next().unwrap_or(&p).to_string();
            reexports.insert(name, p);
        }
    }
    let resolve = |path: &str| -> Option<String> {
        let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let expanded;
        if let Some(full) = segs.first().and_then(|f| reexports.get(*f)) {
            if !crate_src.contains_key(segs[0]) {
                expanded = full.clone();
                let rest: Vec<&str> = segs[1..].to_vec();
                segs = expanded.split("::").collect();
                segs.extend(rest);
            }
        }
        (1..=segs.len()).rev().map(|n| segs[..n].join("::")).find(|m| crate_src.contains_key(m))
    };
    let mut out = Vec::new();
    for (&m, src) in &stripped {
        let b = src.as_bytes();
        for kw in ["crate::", "super::"] {
            for (at, _) in src.match_indices(kw) {
                if at > 0 && (is_ident(b[at - 1]) || b[at - 1] == b':') {
                    continue;
                }
                // `super::super::x` climbs once per `super`.
                let (mut base, mut from) = (if kw == "crate::" { "" } else { m }, at + kw.len());
                if kw == "super::" {
                    base = base.rsplit_once("::").map_or("", |(p, _)| p);
                    while src[from..].starts_with("super::") {
                        base = base.rsplit_once("::").map_or("", |(p, _)| p);
                        from += "super::".len();
                    }
                }
                let base = if base.is_empty() { String::new() } else { format!("{base}::") };
                let (paths, _) = paths_at(b, from);
                let line = src[..at].matches('\n').count() + 1;
                let text = crate_src[m].lines().nth(line - 1).unwrap_or("").trim().to_string();
                for p in paths {
                    let Some(to) = resolve(&format!("{base}{p}")) else { continue };
                    let ancestor = to.is_empty() || to == m || m.starts_with(&format!("{to}::"));
                    if !ancestor {
                        out.push(Edge { from: m.to_string(), to, line, text: text.clone() });
                    }
                }
            }
        }
    }
    out
}

/// Strongly connected components of more than one module (Tarjan).
fn circles(nodes: &BTreeSet<String>, edges: &[Edge]) -> Vec<Vec<String>> {
    struct T<'a> {
        adj: BTreeMap<&'a str, BTreeSet<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.adj.get(v).cloned().unwrap_or_default() {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().expect("on the stack");
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T { adj: BTreeMap::new(), index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on: BTreeSet::new(), out: Vec::new() };
    for e in edges {
        if nodes.contains(&e.from) && nodes.contains(&e.to) {
            t.adj.entry(e.from.as_str()).or_default().insert(e.to.as_str());
        }
    }
    for v in nodes {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v.as_str());
        }
    }
    t.out.sort();
    t.out
}

/// Every breach of the layering, in words, naming the offending line.
fn violations(crate_src: &BTreeMap<String, String>) -> Vec<String> {
    let all = edges(crate_src);
    let mut out: Vec<String> = all
        .iter()
        .filter(|e| layer(&e.from) < TOP && layer(&e.to) > layer(&e.from))
        .map(|e| {
            format!(
                "`{}` (layer {}) imports `{}` (layer {}), line {}: {}",
                e.from,
                layer(&e.from),
                e.to,
                layer(&e.to),
                e.line,
                e.text
            )
        })
        .collect();
    let lower: BTreeSet<String> = crate_src.keys().filter(|m| !m.is_empty() && layer(m) < TOP).cloned().collect();
    for c in circles(&lower, &all) {
        let inside: Vec<String> = all
            .iter()
            .filter(|e| c.contains(&e.from) && c.contains(&e.to))
            .map(|e| format!("`{}` -> `{}`, line {}: {}", e.from, e.to, e.line, e.text))
            .collect();
        out.push(format!("an import circle among the lower layers: {:?}\n    {}", c, inside.join("\n    ")));
    }
    out
}

fn engine_src() -> BTreeMap<String, String> {
    read_crate(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn lower_layers_import_downwards_without_circles() {
    let src = engine_src();
    assert!(src.contains_key("engine") && src.contains_key("kernels") && src.contains_key("op"), "the crate's modules were read");
    let v = violations(&src);
    assert!(v.is_empty(), "the engine's layers are breached:\n{}", v.join("\n"));
    // The Tensor layer's own circles are allowed; listed for the curious
    // (`cargo test --test layers -- --nocapture`).
    let all: BTreeSet<String> = src.keys().filter(|m| !m.is_empty()).cloned().collect();
    for c in circles(&all, &edges(&src)) {
        assert!(c.iter().all(|m| layer(m) == TOP), "a circle reaches below the Tensor layer: {c:?}");
        println!("{} modules in one circle of the Tensor layer: {c:?}", c.len());
    }
}

/// The check fails on the real sources with one upward import added, and
/// on one circle added between two data modules; not on a mention in a
/// comment or a string.
#[test]
fn the_check_catches_a_breach() {
    let clean = engine_src();
    let with = |module: &str, line: &str| {
        let mut s = clean.clone();
        s.get_mut(module).expect("module exists").push_str(line);
        violations(&s)
    };
    let up = with("systems", "\nuse crate::tape::GradientTape;\n");
    assert!(up.iter().any(|v| v.contains("`systems` (layer 4) imports `tape` (layer 6)") && v.contains("use crate::tape::GradientTape;")), "{up:?}");
    let through_reexport = with("kernels::binary", "\nfn f(_: &crate::Tensor) {}\n");
    assert!(through_reexport.iter().any(|v| v.contains("`kernels::binary` (layer 2) imports `tensor`")), "{through_reexport:?}");
    let grouped = with("backend::fuse", "\nuse crate::{pool::BufferPool, ops::{unary::UnaryOp, binary}};\n");
    assert!(grouped.iter().any(|v| v.contains("`backend::fuse` (layer 3) imports `ops::unary`")), "{grouped:?}");
    assert!(grouped.iter().any(|v| v.contains("`backend::fuse` (layer 3) imports `ops::binary`")), "{grouped:?}");
    let sideways_up = with("kernels::unary", "\nuse super::super::backend::Op;\n");
    assert!(sideways_up.iter().any(|v| v.contains("`kernels::unary` (layer 2) imports `backend` (layer 3)")), "{sideways_up:?}");
    // `components` imports `node`.
    let circle = with("node", "\nuse crate::components::Storage;\n");
    assert!(circle.iter().any(|v| v.contains("import circle") && v.contains("\"components\"") && v.contains("\"node\"")), "{circle:?}");
    assert!(with("systems", "\n// crate::tape::GradientTape\nconst _: &str = \"crate::tape\";\n").is_empty());
}
