//! What the REPL shows for a value (`Show`), Python's `print` of one, and
//! the layout of the Rust text `stringify!` hands over.

use gradtape::bevy_ecs::entity::Entity;
use gradtape::*;

/// The REPL's echo of a cell's last expression.
pub fn show<T: Show + ?Sized>(v: &T) -> String {
    v.show()
}

/// What Jupyter displays for a value: its repr; nothing for `None` or `()`.
pub trait Show {
    /// The text.
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
impl<T: Show + ?Sized> Show for &T {
    fn show(&self) -> String {
        (**self).show()
    }
}
/// A gradient of `None` shows nothing, as Jupyter shows nothing for `None`.
impl<T: Show> Show for Option<T> {
    fn show(&self) -> String {
        self.as_ref().map_or_else(String::new, Show::show)
    }
}
impl Show for Shape {
    fn show(&self) -> String {
        format!("TensorShape({:?})", self.dims())
    }
}
impl Show for str {
    fn show(&self) -> String {
        self.to_string()
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
/// Python's `repr` of a float: the shortest text that reads back the same,
/// `1e-09` style exponents, from the engine's own NumPy formatting.
impl Show for f64 {
    fn show(&self) -> String {
        from_slice(&[*self], &[]).map_or_else(|e| e.to_string(), |t| t.numpy_repr())
    }
}
/// The counterpart of `id(a)`: the entity a handle names in the engine's world.
impl Show for Entity {
    fn show(&self) -> String {
        format!("{self:?}")
    }
}
/// The counterpart of `<...GradientTape at 0x7f...>`: the Rust type and the tape's entity.
impl Show for GradientTape {
    fn show(&self) -> String {
        format!("<{} at {:?}>", std::any::type_name::<GradientTape>(), self.entity())
    }
}

/// Python's `print(x)`: `str(x)`, which for a tensor is TF's str form,
/// `tf.Tensor(18.0, shape=(), dtype=float32)` (gradtape's `Display` is the
/// repr), and for a missing gradient `None`.
pub fn print(v: &Option<Tensor>) -> String {
    v.as_ref().map_or_else(|| "None".into(), |t| gradtape_core::format::tensor_str(&t.data(), t.shape()))
}

/// `stringify!` wraps long code at arbitrary points; this lays it out again,
/// one statement a line, so a `with` block reads like one.
pub fn layout(code: &str) -> String {
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
    // The top level is a block of statements too: one a line.
    let (mut out, mut open, mut indent) = (String::new(), vec![true], 0usize);
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
                // An item (`fn f() { .. }`) ends its statement without a `;`.
                let next = flat[i + 1..].iter().find(|c| **c != ' ');
                if open.len() == 1 && next.is_some_and(|c| c.is_alphanumeric()) {
                    newline(&mut out, indent);
                }
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
