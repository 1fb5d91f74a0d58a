//! The lecture tour: the TensorFlow lecture's cells, one by one, in gradtape.
//!
//! Each cell prints the line as the lecture writes it in Python (`>>>`), the
//! Rust that runs in its place (`rs>`, taken from the code itself by
//! `stringify!`, so it cannot drift from what runs), and what came out: the
//! value's repr, or the error as `InvalidArgumentError: ...`, exactly as
//! TensorFlow 2.21 shows it.
//!
//! `cargo run --release --example lecture`; `GRADTAPE_DEVICE` picks the device.

use std::process::ExitCode;

use gradtape::*;

/// A cell: `cell!("python", rust_expr)` prints the Python line, the Rust
/// form and the outcome (an error is an outcome, not a stop).
/// `cell!(let pat = "python", rust_expr)` binds the value for later cells and
/// prints only an error, as a Python assignment does; a failed binding stops
/// the section, since the cells after it need the value.
macro_rules! cell {
    (let $name:pat = $py:literal, $rust:expr) => {
        let $name = $crate::bind($py, stringify!($rust), $crate::run(|| $rust))?;
    };
    ($py:literal, $rust:expr) => {
        $crate::echo($py, stringify!($rust), &$crate::run(|| $rust))
    };
}

/// `show!(a)`: the REPL's echo of a name bound earlier.
macro_rules! show {
    ($v:ident) => {
        $crate::echo(stringify!($v), stringify!($v), &Ok::<_, Error>(&$v))
    };
}

mod part1;
mod part2;

/// Gives a cell's closure its return type, so `?` inside it knows the error type.
fn run<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    f()
}

fn echo<T: Show>(py: &str, rust: &str, outcome: &Result<T>) {
    print_code(py, rust);
    match outcome {
        Ok(v) => {
            let s = v.show();
            if !s.is_empty() {
                println!("{s}");
            }
        }
        Err(e) => println!("{e}"),
    }
    println!();
}

fn bind<T>(py: &str, rust: &str, outcome: Result<T>) -> Result<T> {
    print_code(py, rust);
    if let Err(e) = &outcome {
        println!("{e}");
    }
    println!();
    outcome
}

fn print_code(py: &str, rust: &str) {
    for (i, line) in py.lines().enumerate() {
        println!("{} {line}", if i == 0 { ">>>" } else { "..." });
    }
    for (i, line) in layout(rust).lines().enumerate() {
        println!("{} {line}", if i == 0 { "rs>" } else { "   " });
    }
}

/// `stringify!` wraps long code at arbitrary points; this lays it out again,
/// one statement a line, so a `with` block reads like one.
fn layout(code: &str) -> String {
    let flat: Vec<char> = code.split_whitespace().collect::<Vec<_>>().join(" ").chars().collect();
    // Whether the block opening at `i` holds statements (a `;` at its own level).
    let has_statements = |i: usize| {
        let mut depth = 0;
        for &c in &flat[i + 1..] {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => return false,
                ')' | ']' | '}' => depth -= 1,
                ';' if depth == 0 => return true,
                _ => {}
            }
        }
        false
    };
    let (mut out, mut open, mut indent) = (String::new(), Vec::new(), 0usize);
    let newline = |out: &mut String, indent: usize| {
        let end = out.trim_end_matches(' ').len();
        out.truncate(end);
        out.push('\n');
        out.push_str(&"    ".repeat(indent));
    };
    for (i, &c) in flat.iter().enumerate() {
        match c {
            ' ' if out.ends_with('\n') || out.ends_with("    ") && out.trim_end_matches(' ').ends_with('\n') => {}
            '{' => {
                let expand = has_statements(i);
                open.push(expand);
                out.push('{');
                if expand {
                    indent += 1;
                    newline(&mut out, indent);
                }
            }
            '(' | '[' => {
                open.push(false);
                out.push(c);
            }
            '}' => {
                if open.pop() == Some(true) {
                    indent -= 1;
                    newline(&mut out, indent);
                }
                out.push('}');
            }
            ')' | ']' => {
                open.pop();
                out.push(c);
            }
            ';' if open.last() == Some(&true) => {
                out.push(';');
                newline(&mut out, indent);
            }
            _ => out.push(c),
        }
    }
    out
}

fn section(title: &str) {
    println!("\n======== {title} ========\n");
}

/// A remark of the tour's own, set apart from the cells' output.
fn note(text: &str) {
    println!("# {text}\n");
}

/// Python hands a `None` gradient on as a value; Rust must unwrap it, and
/// gets the TypeError TF raises when such a `None` is used as a target.
fn some(t: Option<Tensor>) -> Result<Tensor> {
    t.ok_or_else(|| {
        Error::Type("Argument `target` should be a list or nested structure of Tensors, Variables or CompositeTensors to be differentiated, but received None.".into())
    })
}

/// What Python's REPL echoes for a value: its repr, nothing for `None`
/// returned by a statement, `None` for a missing gradient.
trait Show {
    fn show(&self) -> String;
}

impl Show for Tensor {
    fn show(&self) -> String {
        self.to_string()
    }
}
impl Show for Variable {
    fn show(&self) -> String {
        self.to_string()
    }
}
impl Show for UnreadVariable<'_> {
    fn show(&self) -> String {
        self.to_string()
    }
}

impl<T: Show + ?Sized> Show for &T {
    fn show(&self) -> String {
        (**self).show()
    }
}
impl<T: Show> Show for Option<T> {
    fn show(&self) -> String {
        self.as_ref().map_or_else(|| "None".into(), Show::show)
    }
}
impl<T: Show> Show for Vec<T> {
    fn show(&self) -> String {
        format!("[{}]", self.iter().map(Show::show).collect::<Vec<_>>().join(", "))
    }
}
impl Show for bool {
    fn show(&self) -> String {
        (if *self { "True" } else { "False" }).into()
    }
}
impl Show for Shape {
    fn show(&self) -> String {
        format!("TensorShape({:?})", self.dims())
    }
}
impl Show for DType {
    fn show(&self) -> String {
        format!("tf.{self}")
    }
}
impl Show for String {
    fn show(&self) -> String {
        self.clone()
    }
}
impl Show for () {
    fn show(&self) -> String {
        String::new()
    }
}

fn main() -> ExitCode {
    // The default engine quietly takes the CPU for a GRADTAPE_DEVICE it does
    // not know, so a misspelt name would go unnoticed.
    if let Err(e) = Device::from_env() {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    println!("gradtape lecture tour (TensorFlow 2.21 semantics), device: {}", device_info());
    match part1::tour().and_then(|()| part2::tour()) {
        Ok(()) => {
            println!("The tour is complete.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("The tour stopped: a cell every later cell depends on failed: {e}");
            ExitCode::FAILURE
        }
    }
}
