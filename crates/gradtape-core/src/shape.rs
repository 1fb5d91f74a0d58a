//! Shapes and NumPy broadcasting.

use smallvec::SmallVec;
use std::fmt;

use crate::{Error, Result};

/// A tensor's dimensions, row-major.
#[derive(PartialEq, Eq, Hash, Default)]
pub struct Shape(pub SmallVec<[usize; 4]>);

impl Clone for Shape {
    /// A copy of the dimensions. `SmallVec`'s derived `Clone` goes through
    /// the generic `extend`, about 100 instructions for a short shape; every
    /// op call clones a few (its inputs' nodes, its output's), so this one
    /// copies the slice (`from_slice` is a `memcpy` for `Copy` items).
    fn clone(&self) -> Shape {
        Shape(SmallVec::from_slice(&self.0))
    }
}

impl Shape {
    /// A shape with these dimensions.
    pub fn new(dims: &[usize]) -> Shape {
        Shape(SmallVec::from_slice(dims))
    }

    /// The shape `()` of a scalar.
    pub fn scalar() -> Shape {
        Shape(SmallVec::new())
    }

    /// The dimensions, outermost first.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// The number of dimensions.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }

    /// Row-major strides in elements.
    pub fn strides(&self) -> SmallVec<[usize; 4]> {
        let mut s: SmallVec<[usize; 4]> = SmallVec::from_elem(1, self.rank());
        for i in (0..self.rank().saturating_sub(1)).rev() {
            s[i] = s[i + 1] * self.0[i + 1];
        }
        s
    }

    /// Number of elements, or a ResourceExhausted error when it overflows
    /// or exceeds what can be allocated.
    ///
    /// The product of the non-zero dims must fit in an i64 (TF's bound on a
    /// shape) even when a zero dim makes the tensor empty: kernels take
    /// strides and partial products of any dims, which then cannot overflow.
    /// The bytes must fit in the machine's memory: past that an allocation
    /// aborts the process instead of failing.
    pub fn checked_numel(&self, dtype_size: usize) -> Result<usize> {
        let mut nonzero: usize = 1;
        for &d in self.dims().iter().filter(|&&d| d != 0) {
            nonzero = nonzero.checked_mul(d).filter(|&p| p <= i64::MAX as usize).ok_or_else(|| too_large(self))?;
        }
        let n = if self.dims().contains(&0) { 0 } else { nonzero };
        if n.checked_mul(dtype_size).is_none_or(|b| b > max_tensor_bytes()) {
            return Err(too_large(self));
        }
        Ok(n)
    }

    /// TF's error-message form: `[2,3,4]`.
    pub fn bracketed(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(|d| d.to_string()).collect();
        format!("[{}]", parts.join(","))
    }

    /// Python's tuple form: `()`, `(4,)`, `(2, 3)`.
    pub fn tuple(&self) -> String {
        match self.rank() {
            0 => "()".into(),
            1 => format!("({},)", self.0[0]),
            _ => {
                let parts: Vec<String> = self.0.iter().map(|d| d.to_string()).collect();
                format!("({})", parts.join(", "))
            }
        }
    }

    /// Normalises a possibly negative axis into `0..rank`.
    pub fn axis(&self, axis: i64) -> Option<usize> {
        let r = self.rank() as i64;
        let a = if axis < 0 { axis + r } else { axis };
        (0..r).contains(&a).then_some(a as usize)
    }
}

/// The largest buffer worth asking the allocator for: the machine's
/// physical memory where Linux tells it, else half the address space.
fn max_tensor_bytes() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let fallback = isize::MAX as usize / 2;
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let kib = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok());
        kib.and_then(|k| k.checked_mul(1024)).map_or(fallback, |b| b.min(fallback))
    })
}

fn too_large(s: &Shape) -> Error {
    Error::ResourceExhausted(format!("OOM when allocating tensor with shape{}", s.bracketed()))
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tuple())
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tuple())
    }
}

impl From<&[usize]> for Shape {
    fn from(d: &[usize]) -> Shape {
        Shape::new(d)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(d: [usize; N]) -> Shape {
        Shape::new(&d)
    }
}

impl From<Vec<usize>> for Shape {
    fn from(d: Vec<usize>) -> Shape {
        Shape(SmallVec::from_vec(d))
    }
}

/// NumPy's broadcasting rule: align trailing dimensions; each pair must be
/// equal or contain a 1. `None` when the shapes are incompatible.
pub fn broadcast_shapes(a: &Shape, b: &Shape) -> Option<Shape> {
    if a == b {
        return Some(a.clone());
    }
    let r = a.rank().max(b.rank());
    let mut out = SmallVec::from_elem(0usize, r);
    for i in 0..r {
        let da = if i < r - a.rank() { 1 } else { a.0[i - (r - a.rank())] };
        let db = if i < r - b.rank() { 1 } else { b.0[i - (r - b.rank())] };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(Shape(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        let s = |d: &[usize]| Shape::new(d);
        assert_eq!(broadcast_shapes(&s(&[2, 3]), &s(&[3])), Some(s(&[2, 3])));
        assert_eq!(broadcast_shapes(&s(&[4, 1, 5]), &s(&[3, 1])), Some(s(&[4, 3, 5])));
        assert_eq!(broadcast_shapes(&s(&[]), &s(&[2, 2])), Some(s(&[2, 2])));
        assert_eq!(broadcast_shapes(&s(&[0, 3]), &s(&[1, 3])), Some(s(&[0, 3])));
        assert_eq!(broadcast_shapes(&s(&[2, 3]), &s(&[2])), None);
        assert_eq!(broadcast_shapes(&s(&[0]), &s(&[2])), None);
        assert_eq!(broadcast_shapes(&s(&[]), &s(&[])), Some(s(&[])));
        assert_eq!(broadcast_shapes(&s(&[1]), &s(&[0])), Some(s(&[0])));
        assert_eq!(broadcast_shapes(&s(&[2, 1, 0]), &s(&[3, 1])), Some(s(&[2, 3, 0])));
    }

    /// Broadcasting does not depend on operand order.
    #[test]
    fn broadcasting_is_symmetric() {
        let shapes: [&[usize]; 7] = [&[], &[1], &[3], &[0], &[2, 1], &[1, 3], &[4, 2, 3]];
        for a in shapes {
            for b in shapes {
                let (a, b) = (Shape::new(a), Shape::new(b));
                assert_eq!(broadcast_shapes(&a, &b), broadcast_shapes(&b, &a), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn shape_forms() {
        assert_eq!(Shape::new(&[]).tuple(), "()");
        assert_eq!(Shape::new(&[4]).tuple(), "(4,)");
        assert_eq!(Shape::new(&[2, 3]).tuple(), "(2, 3)");
        assert_eq!(Shape::new(&[2, 3, 4]).bracketed(), "[2,3,4]");
        assert_eq!(Shape::new(&[2, 3, 4]).strides().as_slice(), &[12, 4, 1]);
        assert_eq!(Shape::new(&[2, 3]).axis(-1), Some(1));
        assert_eq!(Shape::new(&[2, 3]).axis(2), None);
    }

    #[test]
    fn huge_shapes_are_errors() {
        let s = Shape::new(&[usize::MAX / 2, 4]);
        assert!(matches!(s.checked_numel(4), Err(Error::ResourceExhausted(_))));
        // More bytes than any machine has, though the count fits.
        assert!(matches!(Shape::new(&[1 << 30, 1 << 30]).checked_numel(4), Err(Error::ResourceExhausted(_))));
        // Empty, but its other dims' product overflows: strides would too.
        assert!(matches!(Shape::new(&[0, 1 << 40, 1 << 40]).checked_numel(4), Err(Error::ResourceExhausted(_))));
        assert_eq!(Shape::new(&[0, 1 << 40]).checked_numel(4), Ok(0));
        assert_eq!(Shape::new(&[2, 3]).checked_numel(8), Ok(6));
    }
}
