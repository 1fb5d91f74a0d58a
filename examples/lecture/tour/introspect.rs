//! IPython's `?` and `dir()` for gradtape's types: Rust has no docstrings
//! at run time, so these read the rustdoc comments and `pub fn`s from the
//! engine's source, which is what `cargo doc` shows.

use std::path::{Path, PathBuf};

const ENGINE_SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/gradtape-engine/src");

/// A documented item of the engine's source.
#[derive(Clone, Debug)]
pub struct Item {
    /// The file, from the repository root.
    pub file: String,
    /// The item's name.
    pub name: String,
    /// Its declaration, up to the body.
    pub signature: String,
    /// Its `///` text.
    pub docs: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The engine's source files: (path from the repository root, text).
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(Path::new(ENGINE_SRC), &mut files);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    files
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            Some((p.strip_prefix(root).unwrap_or(&p).display().to_string(), text))
        })
        .collect()
}

/// The net `{` minus `}` of a line of code, outside strings, chars and comments.
fn braces(line: &str) -> i32 {
    let (mut depth, mut chars) = (0, line.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => break,
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            // '{' and '}' as char literals; a lifetime's quote has no closing one.
            '\'' => {
                let mut ahead = chars.clone();
                if let (Some(_), Some('\'')) = (ahead.next(), ahead.next()) {
                    chars = ahead;
                }
            }
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// The `///` lines right above line `i` (attributes skipped), joined.
fn docs_above(lines: &[&str], i: usize) -> String {
    let mut docs = Vec::new();
    for line in lines[..i].iter().rev().map(|l| l.trim()) {
        if let Some(d) = line.strip_prefix("///") {
            docs.push(d.strip_prefix(' ').unwrap_or(d));
        } else if !line.starts_with("#[") {
            break;
        }
    }
    docs.reverse();
    // rustdoc hides a code block's `# ` lines (a doctest's setup), and so does this.
    let mut in_code = false;
    docs.retain(|line| {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        !(in_code && (line.starts_with("# ") || *line == "#"))
    });
    docs.join("\n")
}

/// A declaration from line `i` up to its body's `{` (or its `;`).
fn signature_at(lines: &[&str], i: usize) -> String {
    let mut sig = String::new();
    for line in &lines[i..] {
        let line = line.trim();
        let end = line.find(" {").or_else(|| line.strip_suffix('{').map(str::len)).or_else(|| line.find(';'));
        sig.push_str(if sig.is_empty() || sig.ends_with('(') { "" } else { " " });
        match end {
            Some(e) => {
                sig.push_str(line[..e].trim_end());
                break;
            }
            None => sig.push_str(line),
        }
    }
    sig.replace("( ", "(").replace(", )", ")")
}

fn name_after(line: &str, keyword: &str) -> Option<String> {
    let rest = line.trim().strip_prefix(keyword)?;
    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

/// `pub struct NAME` or `pub enum NAME`, with its docs.
pub fn type_item(name: &str) -> Option<Item> {
    sources().into_iter().find_map(|(file, text)| {
        let lines: Vec<&str> = text.lines().collect();
        let i = lines.iter().position(|l| {
            ["pub struct ", "pub enum "].iter().any(|k| name_after(l, k).as_deref() == Some(name))
        })?;
        Some(Item { file, name: name.into(), signature: signature_at(&lines, i), docs: docs_above(&lines, i) })
    })
}

/// The `pub fn`s of every inherent `impl NAME` block, in source order.
pub fn methods(type_name: &str) -> Vec<Item> {
    let mut out = Vec::new();
    for (file, text) in sources() {
        let lines: Vec<&str> = text.lines().collect();
        let (mut depth, mut inside) = (0, false);
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim();
            if depth == 0 && !inside {
                let head = t.strip_prefix("impl ").map(|r| r.trim_end_matches('{').trim());
                inside = head == Some(type_name);
            } else if inside && depth == 1 {
                if let Some(name) = name_after(t, "pub fn ") {
                    out.push(Item { file: file.clone(), name, signature: signature_at(&lines, i), docs: docs_above(&lines, i) });
                }
            }
            depth += braces(line);
            if depth == 0 && !t.starts_with("impl ") {
                inside = false;
            }
        }
    }
    out
}

fn short_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

/// IPython's `?value`: the value's type, where it is defined, its docs.
pub fn doc<T: ?Sized>(_value: &T) -> String {
    match type_item(short_name::<T>()) {
        Some(it) => format!(
            "Type:           {}\nRust type:      {}\nFile:           {}\nDocstring:\n{}",
            it.name,
            std::any::type_name::<T>(),
            it.file,
            it.docs
        ),
        None => format!("Object `{}` not found.", short_name::<T>()),
    }
}

/// IPython's `Type?`: how to make one (its constructors), and its docs.
pub fn doc_of<T>() -> String {
    let name = short_name::<T>();
    let Some(it) = type_item(name) else { return format!("Object `{name}` not found.") };
    let inits: Vec<String> = methods(name)
        .into_iter()
        .filter(|m| !m.signature.contains("self"))
        .map(|m| format!("{name}::{}", m.signature.trim_start_matches("pub fn ")))
        .collect();
    format!(
        "Init signature: {}\nDocstring:\n{}\nFile:           {}\nType:           {}",
        inits.join("\n                "),
        it.docs,
        it.file,
        it.signature.trim_start_matches("pub ")
    )
}

/// IPython's `?value.method`: the method's signature and docs.
pub fn doc_method<T: ?Sized>(_value: &T, method: &str) -> String {
    let ty = short_name::<T>();
    match methods(ty).into_iter().find(|m| m.name == method) {
        Some(m) => format!(
            "Signature: {ty}::{}\nDocstring: {}\nFile:      {}\nType:      method",
            m.signature.trim_start_matches("pub fn "),
            m.docs,
            m.file
        ),
        None => format!("Object `{ty}::{method}` not found."),
    }
}

/// Python's `dir(value)`: the names of its type's methods, sorted.
pub fn dir<T: ?Sized>(_value: &T) -> String {
    let mut names: Vec<String> = methods(short_name::<T>()).into_iter().map(|m| m.name).collect();
    names.sort();
    names.dedup();
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    format!("[{}]", quoted.join(",\n "))
}

/// IPython's echo of a function: `<method Type::name(args) -> ret>`.
pub fn signature<T>(method: &str) -> String {
    let ty = short_name::<T>();
    match methods(ty).into_iter().find(|m| m.name == method) {
        Some(m) => format!("<method {}::{}>", std::any::type_name::<T>(), m.signature.trim_start_matches("pub fn ")),
        None => format!("Object `{ty}::{method}` not found."),
    }
}
