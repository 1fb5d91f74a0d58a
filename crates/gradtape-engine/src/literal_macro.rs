//! `constant!`: a literal written as in Python, where one float among ints
//! makes the whole list float32 (`tf.constant([1, 2.5])`).
//!
//! The rule (TF's inference from Python values): any float element gives
//! float32; otherwise ints give int32 (int64 when one does not fit);
//! otherwise bools give bool. Without the macro, a Rust array needs one
//! element type, so write every element as a float: `constant([1., 2.5])`.

use gradtape_core::Result;

use crate::literal::{IntoLiteral, Literal};

/// A part of a `constant!` literal (an element or a nested list), already converted.
#[doc(hidden)]
pub type Part = Result<Literal>;

impl IntoLiteral for Result<Literal> {
    fn into_literal(self) -> Result<Literal> {
        self
    }
}

/// One element or nested list of a `constant!` literal.
#[doc(hidden)]
pub fn part(x: impl IntoLiteral) -> Part {
    x.into_literal()
}

/// A nested list of converted parts.
#[doc(hidden)]
pub fn list(parts: Vec<Part>) -> Part {
    parts.into_literal()
}

/// The literal of a Python-style nested list, elements of any literal type.
///
/// ```
/// # use gradtape_engine::*;
/// # use gradtape_core::DType;
/// // tf.constant([1, 2.5])  -> float32
/// let t = constant!([1, 2.5])?;
/// assert_eq!(t.to_string(), "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1. , 2.5], dtype=float32)>");
/// // tf.constant([[1, 2], [3, -4.5]])
/// assert_eq!(constant!([[1, 2], [3, -4.5]])?.dims(), &[2, 2]);
/// // tf.constant([1, 2]) stays int32; tf.constant(3) a scalar
/// assert_eq!(constant!([1, 2])?.dtype(), DType::I32);
/// assert_eq!(constant!(3)?.dtype(), DType::I32);
/// // Ragged lists are TF's ValueError.
/// assert!(constant!([[1], [2, 3]]).is_err());
/// # Ok::<(), gradtape_core::Error>(())
/// ```
#[macro_export]
macro_rules! literal {
    ([$($body:tt)*]) => { $crate::literal!(@list [] $($body)*) };
    (@list [$($done:expr,)*]) => { $crate::literal_macro::list(::std::vec![$($done),*]) };
    (@list [$($done:expr,)*] [$($inner:tt)*] $(, $($rest:tt)*)?) => {
        $crate::literal!(@list [$($done,)* $crate::literal!([$($inner)*]),] $($($rest)*)?)
    };
    (@list [$($done:expr,)*] $x:expr $(, $($rest:tt)*)?) => {
        $crate::literal!(@list [$($done,)* $crate::literal_macro::part($x),] $($($rest)*)?)
    };
    ($x:expr) => { $crate::literal_macro::part($x) };
}

/// `tf.constant(...)` of a Python-style literal: `constant!([1, 2.5])` is
/// float32, as TF infers it (see [`literal!`] for the rule).
///
/// ```
/// # use gradtape_engine::*;
/// // tf.constant([[1, 2.5], [3, 4]])
/// let t = constant!([[1, 2.5], [3, 4]])?;
/// assert_eq!(t.to_vec::<f32>()?, vec![1.0, 2.5, 3.0, 4.0]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
#[macro_export]
macro_rules! constant {
    ($($t:tt)*) => { $crate::constant($crate::literal!($($t)*)) };
}
