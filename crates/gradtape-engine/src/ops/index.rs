//! Python-style indexing and slicing (`a[0]`, `a[:2]`, `a[1, ::-1]`), as a
//! strided slice followed by a reshape that drops the integer-indexed axes.

use gradtape_core::{Error, Result, Shape};
use smallvec::SmallVec;

use super::movement::SliceSpec;
use crate::Tensor;

/// One index position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idx {
    /// `a[i]`: picks one position and drops the axis (negative counts from the end).
    At(i64),
    /// `a[start:stop:step]`, each bound optional as in Python.
    Range(Option<i64>, Option<i64>, i64),
}

impl Idx {
    /// `a[:]`
    pub const FULL: Idx = Idx::Range(None, None, 1);
}

/// A value usable as one index position.
pub trait IntoIdx {
    /// The index position.
    fn into_idx(self) -> Idx;
}

impl IntoIdx for Idx {
    fn into_idx(self) -> Idx {
        self
    }
}
impl IntoIdx for std::ops::RangeFull {
    fn into_idx(self) -> Idx {
        Idx::FULL
    }
}
/// An index as i64. A `usize` past `i64::MAX` saturates: `as` would wrap it
/// to a negative index (`usize::MAX` meaning the last element), while a
/// saturated one is out of bounds as an index and clamps as a slice bound.
fn wide<T: TryInto<i64>>(v: T) -> i64 {
    v.try_into().unwrap_or(i64::MAX)
}

macro_rules! int_idx {
    ($($t:ty),*) => {$(
        impl IntoIdx for $t {
            fn into_idx(self) -> Idx { Idx::At(wide(self)) }
        }
        impl IntoIdx for std::ops::Range<$t> {
            fn into_idx(self) -> Idx { Idx::Range(Some(wide(self.start)), Some(wide(self.end)), 1) }
        }
        impl IntoIdx for std::ops::RangeTo<$t> {
            fn into_idx(self) -> Idx { Idx::Range(None, Some(wide(self.end)), 1) }
        }
        impl IntoIdx for std::ops::RangeFrom<$t> {
            fn into_idx(self) -> Idx { Idx::Range(Some(wide(self.start)), None, 1) }
        }
    )*};
}
int_idx!(i32, i64, usize);

/// A whole index expression: one position or a tuple of them.
pub trait IndexArg {
    /// The positions, outermost axis first.
    fn items(self) -> SmallVec<[Idx; 4]>;
}
impl<T: IntoIdx> IndexArg for T {
    fn items(self) -> SmallVec<[Idx; 4]> {
        smallvec::smallvec![self.into_idx()]
    }
}
impl<A: IntoIdx, B: IntoIdx> IndexArg for (A, B) {
    fn items(self) -> SmallVec<[Idx; 4]> {
        smallvec::smallvec![self.0.into_idx(), self.1.into_idx()]
    }
}
impl<A: IntoIdx, B: IntoIdx, C: IntoIdx> IndexArg for (A, B, C) {
    fn items(self) -> SmallVec<[Idx; 4]> {
        smallvec::smallvec![self.0.into_idx(), self.1.into_idx(), self.2.into_idx()]
    }
}
impl IndexArg for &[Idx] {
    fn items(self) -> SmallVec<[Idx; 4]> {
        self.iter().copied().collect()
    }
}

/// Python's `slice.indices`: clamps bounds and counts the steps.
fn range_of(start: Option<i64>, stop: Option<i64>, step: i64, n: i64) -> (i64, i64) {
    let clamp = |v: i64, lo: i64, hi: i64| v.max(lo).min(hi);
    let norm = |v: i64| if v < 0 { v + n } else { v };
    // Counted in i128: a step near i64::MAX or i64::MIN overflows in i64.
    let ceil_div = |span: i64, step: i128| ((span as i128 + step - 1) / step) as i64;
    if step > 0 {
        let b = start.map_or(0, |s| clamp(norm(s), 0, n));
        let e = stop.map_or(n, |s| clamp(norm(s), 0, n));
        (b, if e > b { ceil_div(e - b, step as i128) } else { 0 })
    } else {
        let b = start.map_or(n - 1, |s| clamp(norm(s), -1, n - 1));
        let e = stop.map_or(-1, |s| clamp(norm(s), -1, n - 1));
        (b, if b > e { ceil_div(b - e, -(step as i128)) } else { 0 })
    }
}

impl Tensor {
    /// `self[index]` with Python's rules: `t.i(0)`, `t.i(..2)`, `t.i((.., 1))`.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([[1, 2, 3], [4, 5, 6]])?;
    /// assert_eq!(x.i(1)?.to_vec::<i32>()?, vec![4, 5, 6]);          // x[1]
    /// assert_eq!(x.i((.., 0))?.to_vec::<i32>()?, vec![1, 4]);       // x[:, 0]
    /// assert_eq!(x.i((0, 1..))?.to_vec::<i32>()?, vec![2, 3]);      // x[0, 1:]
    /// assert!(x.i(2).is_err());                                      // out of range
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn i(&self, index: impl IndexArg) -> Result<Tensor> {
        self.index(&index.items())
    }

    /// `self[items...]`.
    pub fn index(&self, items: &[Idx]) -> Result<Tensor> {
        let (spec, window, kept) = resolve(self.shape(), items)?;
        self.strided(spec, window)?.reshape(&kept)
    }
}

/// The strided window an index expression selects: the spec, the window's
/// shape (indexed axes kept as 1) and the result's shape (indexed axes dropped).
pub(crate) fn resolve(shape: &Shape, items: &[Idx]) -> Result<(SliceSpec, Shape, Shape)> {
    let r = shape.rank();
    if items.len() > r {
        return Err(Error::InvalidArgument(format!(
            "Index out of range using input dim {r}; input has only {r} dims [Op:StridedSlice]"
        )));
    }
    let mut begin: SmallVec<[usize; 4]> = SmallVec::new();
    let mut step: SmallVec<[isize; 4]> = SmallVec::new();
    let mut window: Vec<usize> = Vec::with_capacity(r);
    let mut kept: Vec<usize> = Vec::with_capacity(r);
    for d in 0..r {
        let n = shape.dims()[d] as i64;
        match items.get(d).copied().unwrap_or(Idx::FULL) {
            Idx::At(i) => {
                let j = if i < 0 { i + n } else { i };
                if j < 0 || j >= n {
                    return Err(Error::InvalidArgument(format!(
                        // TF reports a negative index after adding the dim's size.
                        "slice index {j} of dimension {d} out of bounds. [Op:StridedSlice]"
                    )));
                }
                begin.push(j as usize);
                step.push(1);
                window.push(1);
            }
            Idx::Range(s, e, k) => {
                if k == 0 {
                    return Err(Error::InvalidArgument(format!("strides[{d}] must be non-zero [Op:StridedSlice]")));
                }
                let (b, count) = range_of(s, e, k, n);
                begin.push(if count == 0 { 0 } else { b as usize });
                // A step taken fewer than once never moves; 1 keeps step * stride from overflowing.
                step.push(if count <= 1 { 1 } else { k as isize });
                window.push(count as usize);
                kept.push(count as usize);
            }
        }
    }
    Ok((SliceSpec { begin, step }, Shape::from(window), Shape::from(kept)))
}

#[cfg(test)]
mod tests {
    use super::range_of;

    #[test]
    fn python_slice_indices() {
        assert_eq!(range_of(None, Some(2), 1, 3), (0, 2));
        assert_eq!(range_of(Some(-2), None, 1, 5), (3, 2));
        assert_eq!(range_of(None, None, -1, 4), (3, 4));
        assert_eq!(range_of(Some(10), None, 1, 3), (3, 0));
        assert_eq!(range_of(None, None, 2, 5), (0, 3));
        assert_eq!(range_of(None, None, i64::MAX, 5), (0, 1));
        assert_eq!(range_of(None, None, i64::MIN, 5), (4, 1));
        assert_eq!(range_of(Some(i64::MIN), Some(i64::MAX), 1, 5), (0, 5));
    }
}
