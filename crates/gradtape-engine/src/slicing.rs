//! Python's slicing in Rust: `t.i(..)` takes what `t[...]` takes, with a
//! step written `s(range).step(n)`. One table:
//!
//! | Python | gradtape |
//! |---|---|
//! | `t[1]`, `t[-1]` | `t.i(1)`, `t.i(-1)` |
//! | `t[1:3]`, `t[:3]`, `t[1:]`, `t[:]` | `t.i(1..3)`, `t.i(..3)`, `t.i(1..)`, `t.i(..)` |
//! | `t[::2]` | `t.i(s(..).step(2))` |
//! | `t[1::2]`, `t[:5:2]`, `t[1:5:2]` | `t.i(s(1..).step(2))`, `t.i(s(..5).step(2))`, `t.i(s(1..5).step(2))` |
//! | `t[::-1]` | `t.i(s(..).step(-1))` |
//! | `t[3:0:-1]` | `t.i(s(3..0).step(-1))` (a Rust range may run backwards here) |
//! | `t[:, 0]` | `t.i((.., 0))` |
//! | `t[:, ::2]` | `t.i((.., s(..).step(2)))` |
//! | `t[0, 1:, ::-1]` | `t.i((0, 1.., s(..).step(-1)))` |
//! | `t[a, b, c, d]` | `t.i((a, b, c, d))` (up to six positions; more: `t.index(&[Idx, ...])`) |
//!
//! Bounds are clamped and negative ones count from the end, as in Python;
//! an integer index out of range is TF's error.
//!
//! ```
//! # use gradtape_engine::*;
//! let t = constant([[0, 1, 2, 3], [4, 5, 6, 7]])?;
//! // t[:, ::2]
//! assert_eq!(t.i((.., s(..).step(2)))?.to_vec::<i32>()?, vec![0, 2, 4, 6]);
//! // t[1, ::-1]
//! assert_eq!(t.i((1, s(..).step(-1)))?.to_vec::<i32>()?, vec![7, 6, 5, 4]);
//! // t[0, 3:0:-2]
//! assert_eq!(t.i((0, s(3..0).step(-2)))?.to_vec::<i32>()?, vec![3, 1]);
//! // t[:, 1::2]
//! assert_eq!(t.i((.., s(1..).step(2)))?.dims(), &[2, 2]);
//! # Ok::<(), gradtape_core::Error>(())
//! ```

use smallvec::SmallVec;

use crate::ops::index::{IndexArg, IntoIdx};
use crate::Idx;

/// A slice position being built: `s(1..).step(2)` is Python's `1::2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
}

/// Starts a slice from a range (`..`, `a..`, `..b`, `a..b`); `.step(n)` sets
/// its step (Python's third slice field).
pub fn s(range: impl IntoIdx) -> Slice {
    match range.into_idx() {
        Idx::Range(start, stop, step) => Slice { start, stop, step },
        // `s(3)` is `3:4`, the one position kept as an axis of length 1.
        Idx::At(i) => Slice { start: Some(i), stop: if i == -1 { None } else { Some(i + 1) }, step: 1 },
    }
}

impl Slice {
    /// Python's step: negative walks backwards; zero is TF's error.
    pub fn step(self, step: i64) -> Slice {
        Slice { step, ..self }
    }
}

impl IntoIdx for Slice {
    fn into_idx(self) -> Idx {
        Idx::Range(self.start, self.stop, self.step)
    }
}

impl<A: IntoIdx, B: IntoIdx, C: IntoIdx, D: IntoIdx> IndexArg for (A, B, C, D) {
    fn items(self) -> SmallVec<[Idx; 4]> {
        smallvec::smallvec![self.0.into_idx(), self.1.into_idx(), self.2.into_idx(), self.3.into_idx()]
    }
}

impl<A: IntoIdx, B: IntoIdx, C: IntoIdx, D: IntoIdx, E: IntoIdx> IndexArg for (A, B, C, D, E) {
    fn items(self) -> SmallVec<[Idx; 4]> {
        smallvec::smallvec![self.0.into_idx(), self.1.into_idx(), self.2.into_idx(), self.3.into_idx(), self.4.into_idx()]
    }
}

impl<A: IntoIdx, B: IntoIdx, C: IntoIdx, D: IntoIdx, E: IntoIdx, F: IntoIdx> IndexArg for (A, B, C, D, E, F) {
    fn items(self) -> SmallVec<[Idx; 4]> {
        smallvec::smallvec![
            self.0.into_idx(),
            self.1.into_idx(),
            self.2.into_idx(),
            self.3.into_idx(),
            self.4.into_idx(),
            self.5.into_idx()
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constant;

    /// Each against Python's list slicing of the same values.
    #[test]
    fn steps_follow_python() -> gradtape_core::Result<()> {
        let t = constant([0, 1, 2, 3, 4, 5, 6])?;
        let got = |x: Slice| t.i(x).and_then(|r| r.to_vec::<i32>());
        assert_eq!(got(s(..).step(2))?, vec![0, 2, 4, 6]); // [::2]
        assert_eq!(got(s(1..).step(3))?, vec![1, 4]); // [1::3]
        assert_eq!(got(s(..).step(-1))?, vec![6, 5, 4, 3, 2, 1, 0]); // [::-1]
        assert_eq!(got(s(..2).step(-2))?, vec![6, 4]); // [:2:-2]
        assert_eq!(got(s(5..1).step(-2))?, vec![5, 3]); // [5:1:-2]
        assert_eq!(got(s(-2..).step(-1))?, vec![5, 4, 3, 2, 1, 0]); // [-2::-1]
        assert_eq!(got(s(1..5))?, vec![1, 2, 3, 4]); // [1:5]
        assert_eq!(got(s(3))?, vec![3]); // [3:4]
        assert_eq!(got(s(-1))?, vec![6]); // [-1:]
        assert!(got(s(..).step(0)).is_err()); // TF: slice step cannot be zero
        Ok(())
    }
}
