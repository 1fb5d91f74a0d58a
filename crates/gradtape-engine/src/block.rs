//! Borrowed, typed views of a block of elements: what the fused CPU path
//! (`backend/fuse.rs`) hands the ops' block kernels, so that a block is read
//! straight from its tensor's buffer and written straight into its output.

use gradtape_core::HostData;

/// A read-only block: `len` elements, or one element broadcast.
#[derive(Clone, Copy, Debug)]
pub enum Block<'a> {
    /// bool elements.
    Bool(&'a [bool]),
    /// int32 elements.
    I32(&'a [i32]),
    /// int64 elements.
    I64(&'a [i64]),
    /// float32 elements.
    F32(&'a [f32]),
    /// float64 elements.
    F64(&'a [f64]),
}

/// A block to write.
#[derive(Debug)]
pub enum BlockMut<'a> {
    /// bool elements.
    Bool(&'a mut [bool]),
    /// int32 elements.
    I32(&'a mut [i32]),
    /// int64 elements.
    I64(&'a mut [i64]),
    /// float32 elements.
    F32(&'a mut [f32]),
    /// float64 elements.
    F64(&'a mut [f64]),
}

macro_rules! each {
    ($d:expr, $v:ident => $e:ident($x:expr)) => {
        match $d {
            HostData::Bool($v) => $e::Bool($x),
            HostData::I32($v) => $e::I32($x),
            HostData::I64($v) => $e::I64($x),
            HostData::F32($v) => $e::F32($x),
            HostData::F64($v) => $e::F64($x),
            _ => unreachable!("internal: narrow dtypes are never fused (fuse::plan)"),
        }
    };
}

impl<'a> Block<'a> {
    /// Elements `start..start + len` of `d`.
    pub fn of(d: &'a HostData, start: usize, len: usize) -> Block<'a> {
        each!(d, v => Block(&v[start..start + len]))
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            Block::Bool(v) => v.len(),
            Block::I32(v) => v.len(),
            Block::I64(v) => v.len(),
            Block::F32(v) => v.len(),
            Block::F64(v) => v.len(),
        }
    }

    /// Whether the block has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> BlockMut<'a> {
    /// All of `d`, to write.
    pub fn of(d: &'a mut HostData) -> BlockMut<'a> {
        each!(d, v => BlockMut(&mut v[..]))
    }

    /// The same elements, to read.
    pub fn as_block(&self) -> Block<'_> {
        match self {
            BlockMut::Bool(v) => Block::Bool(v),
            BlockMut::I32(v) => Block::I32(v),
            BlockMut::I64(v) => Block::I64(v),
            BlockMut::F32(v) => Block::F32(v),
            BlockMut::F64(v) => Block::F64(v),
        }
    }

    /// A shorter borrow of the same elements, to write.
    pub fn reborrow(&mut self) -> BlockMut<'_> {
        match self {
            BlockMut::Bool(v) => BlockMut::Bool(v),
            BlockMut::I32(v) => BlockMut::I32(v),
            BlockMut::I64(v) => BlockMut::I64(v),
            BlockMut::F32(v) => BlockMut::F32(v),
            BlockMut::F64(v) => BlockMut::F64(v),
        }
    }
}

/// `f(a, b)` into `o`, where `a` or `b` may be one element, broadcast.
#[inline]
pub(crate) fn zip_into<A: Copy, B: Copy, O>(a: &[A], b: &[B], o: &mut [O], f: impl Fn(A, B) -> O) {
    if a.len() == o.len() && b.len() == o.len() {
        o.iter_mut().zip(a.iter().zip(b)).for_each(|(o, (&x, &y))| *o = f(x, y));
    } else if a.len() == o.len() {
        let y = b[0];
        o.iter_mut().zip(a).for_each(|(o, &x)| *o = f(x, y));
    } else {
        let x = a[0];
        o.iter_mut().zip(b).for_each(|(o, &y)| *o = f(x, y));
    }
}
