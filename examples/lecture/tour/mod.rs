//! The lecture as one table of cells, shared by the tour (`main.rs`) and its
//! test (`tests/lecture.rs`, which compiles this folder as a module).
//!
//! Each section file lists its cells in the lecture's order with `cell!`:
//! the cell's id in `tests/golden/lecture/cells.json`, its [`Kind`], the Rust
//! that does what the Python does, and, for a cell whose TF 2.21 output is
//! not the lecture's, one line on what changed. The Rust text shown to the
//! student is `stringify!` of the very code that runs, so the two cannot
//! drift. A cell's `let`s stay bound for the cells after it, as names in a
//! notebook do; its last expression (after `=>`) is what the REPL echoes.
//!
//! Both crates declare this folder as the module `tour` at their root: the
//! macros name its items `$crate::tour::...`.

pub mod golden;
pub mod introspect;
pub mod show;
pub mod standins;

/// One cell: `cell!(t, ID, KIND; stmt; stmt; => expr)` runs the statements
/// where the macro stands (their bindings outlive it), then records `expr`'s
/// echo as the cell's output, or its error as `Class: message`. A failing
/// statement returns the error from the section, as the cells after it
/// need its names. `cell!(t, ID, KIND, changed = "..."; ...)` adds the line
/// on what TF 2.21 changed. `cell!(t, ID, rustc("message"); tokens)` is code
/// Rust rejects at compile time (Python's NameError and TypeError cells):
/// the tokens are shown, not compiled, and the output is the compiler's error.
/// `cell!(also t, "why"; stmt; => expr)` is the tour's own code between
/// cells (no `>>>`: it is not a lecture cell).
macro_rules! cell {
    // The statements are the tokens before a top-level `=>`, taken one at a time.
    (@split $head:tt [$($s:tt)*] => $e:expr) => { cell!(@emit $head [$($s)*] $e) };
    (@split $head:tt [$($s:tt)*]) => { cell!(@emit $head [$($s)*] ()) };
    (@split $head:tt [$($s:tt)*] $next:tt $($rest:tt)*) => { cell!(@split $head [$($s)* $next] $($rest)*) };
    (@emit (cell $t:ident, $id:literal, $kind:expr, $ch:expr) [$($s:tt)*] $e:expr) => {
        $($s)*
        $t.cell($crate::tour::Cell {
            id: $id,
            kind: $kind,
            changed: $ch,
            rust: &[stringify!($($s)*), stringify!($e)],
            run: &mut || -> ::gradtape::Result<String> { Ok($crate::tour::show::show(&$e)) },
        })
    };
    (@emit (also $t:ident, $why:literal) [$($s:tt)*] $e:expr) => {
        $($s)*
        $t.also($why, &[stringify!($($s)*), stringify!($e)], $crate::tour::show::show(&$e))
    };
    ($t:ident, $id:literal, rustc($msg:literal); $($code:tt)*) => {
        $t.cell($crate::tour::Cell {
            id: $id,
            kind: $crate::tour::Kind::Compile($msg),
            changed: None,
            rust: &[stringify!($($code)*)],
            run: &mut || -> ::gradtape::Result<String> { Ok(String::from($msg)) },
        })
    };
    (also $t:ident, $why:literal; $($body:tt)*) => {
        cell!(@split (also $t, $why) [] $($body)*)
    };
    ($t:ident, $id:literal, $kind:expr $(, changed = $ch:expr)?; $($body:tt)*) => {
        cell!(@split (cell $t, $id, $kind, [$($ch)?].first().copied()) [] $($body)*)
    };
}

mod s1_basics;
mod s2_concat_stack;
mod s3_matmul;
mod s4_variable;
mod s5_derivative;
mod s6_tape;

use gradtape::Result;

use golden::Golden;

/// How a cell's output relates to TF 2.21's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// gradtape prints what TF 2.21 prints: reprs exactly, errors as TF's
    /// class and message without TF's kernel prefix and op-name suffix
    /// (see [`golden::tf_message_core`]).
    Tf,
    /// The lecture's GPU list: `[]` on a machine without a GPU (as in TF
    /// 2.21's run), the lecture's one-GPU list when gradtape runs on a GPU.
    Device,
    /// A Python-only cell (`python_only` in cells.json) whose Rust
    /// counterpart prints exactly what TF 2.21's Python printed; the reason.
    Same(&'static str),
    /// A Python-only cell; the Rust counterpart prints its own result
    /// (a Rust type name, an address, rustdoc text); the reason.
    Counterpart(&'static str),
    /// Python code that has no Rust form at all: the Rust compiler's error.
    Compile(&'static str),
}

/// A cell of the table as a section hands it over.
pub struct Cell<'a> {
    /// `index` in cells.json.
    pub id: u32,
    /// How the output compares with TF 2.21's.
    pub kind: Kind,
    /// For a cell where TF 2.21 differs from the lecture: what changed.
    pub changed: Option<&'static str>,
    /// The Rust statements and the echoed expression, as written.
    pub rust: &'static [&'static str],
    /// Produces gradtape's output for the cell.
    pub run: &'a mut dyn FnMut() -> Result<String>,
}

/// A cell after it ran.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// `index` in cells.json.
    pub id: u32,
    /// How the output compares with TF 2.21's.
    pub kind: Kind,
    /// What TF 2.21 changed, if anything.
    pub changed: Option<&'static str>,
    /// The Rust lines, laid out.
    pub rust: String,
    /// What gradtape printed.
    pub output: String,
}

/// Runs the cells in order; prints each one when `print` is set.
pub struct Tour {
    /// The lecture's cells.
    pub golden: Vec<Golden>,
    /// The cells run so far.
    pub outcomes: Vec<Outcome>,
    /// The tour's own asides: why, and the output.
    pub asides: Vec<(&'static str, String)>,
    print: bool,
    path: Vec<String>,
}

impl Tour {
    fn new(print: bool) -> Tour {
        Tour { golden: golden::load(), outcomes: Vec::new(), asides: Vec::new(), print, path: Vec::new() }
    }

    /// Runs one cell, prints it, and keeps its outcome.
    pub fn cell(&mut self, c: Cell) {
        let output = match (c.run)() {
            Ok(s) => s,
            Err(e) => e.to_string(),
        };
        let rust = rust_text(c.rust);
        if self.print {
            self.print_cell(c.id, &c.kind, c.changed, &rust, &output);
        }
        self.outcomes.push(Outcome { id: c.id, kind: c.kind, changed: c.changed, rust, output });
    }

    /// Prints the tour's own code and result between cells.
    pub fn also(&mut self, why: &'static str, rust: &[&str], output: String) {
        if self.print {
            println!("※ gradtape: {why}");
            print_prefixed("rs> ", "    ", &rust_text(rust));
            println!("{output}\n");
        }
        self.asides.push((why, output));
    }

    fn print_cell(&mut self, id: u32, kind: &Kind, changed: Option<&str>, rust: &str, output: &str) {
        let Some(g) = self.golden.iter().find(|g| g.index == id).cloned() else {
            println!("(cell {id} is not in cells.json)");
            return;
        };
        let common = self.path.iter().zip(&g.path).take_while(|(a, b)| a == b).count();
        for (depth, heading) in g.path.iter().enumerate().skip(common) {
            println!("{} {heading}\n", "#".repeat(depth + 1));
        }
        self.path = g.path.clone();
        for line in g.note.lines().filter(|l| !l.trim().is_empty()) {
            println!("| {line}");
        }
        if !g.note.trim().is_empty() {
            println!();
        }
        println!("In [{id}]:");
        print_prefixed(">>> ", "... ", &g.code);
        print_prefixed("rs> ", "    ", rust);
        if !output.is_empty() {
            println!("{output}");
        }
        if let Some(what) = changed {
            println!("※ TF 2.21: {what}");
        }
        match kind {
            Kind::Same(why) | Kind::Counterpart(why) => println!("※ Python only: {why}"),
            Kind::Compile(_) => println!("※ Python only: this is a run-time error in Python and a compile-time error in Rust"),
            Kind::Tf | Kind::Device => {}
        }
        if let Some(after) = &g.note_after {
            for line in after.lines().filter(|l| !l.trim().is_empty()) {
                println!("| {line}");
            }
        }
        println!();
    }
}

/// The cell's Rust, one statement a line, blocks indented; `()` (a cell
/// that only binds names) shows nothing.
fn rust_text(parts: &[&str]) -> String {
    parts.iter().filter(|p| !p.trim().is_empty() && p.trim() != "()").map(|p| show::layout(p).trim_end().to_string()).collect::<Vec<_>>().join("\n")
}

fn print_prefixed(first: &str, rest: &str, text: &str) {
    for (i, line) in text.lines().enumerate() {
        let prefix = if i == 0 { first } else { rest };
        println!("{}", format!("{prefix}{line}").trim_end());
    }
}

/// Runs every cell of the lecture in order. A section stops at a failing
/// statement (the cells after it need its names); the error comes back
/// beside the cells that ran.
pub fn run(print: bool) -> (Tour, Result<()>) {
    let mut t = Tour::new(print);
    let result = s1_basics::cells(&mut t)
        .and_then(|()| s2_concat_stack::cells(&mut t))
        .and_then(|()| s3_matmul::cells(&mut t))
        .and_then(|()| s4_variable::cells(&mut t))
        .and_then(|()| s5_derivative::cells(&mut t))
        .and_then(|()| s6_tape::cells(&mut t));
    (t, result)
}
