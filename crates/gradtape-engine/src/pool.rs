//! A pool of host buffers, so that a steady loop (a training step, a
//! benchmark) reuses its outputs' memory instead of asking the allocator
//! (and for large buffers the kernel, page by page) every time.

use std::collections::HashMap;

use gradtape_core::{DType, Element, HostData};

/// Buffers smaller than this are cheap to allocate and not worth pooling.
const MIN_POOLED: usize = 1 << 12;
/// Free bytes the pool may hold before it lets buffers go.
const MAX_POOLED_BYTES: usize = 1 << 30;
/// Free buffers of one (dtype, length) the pool keeps. Kernels that do not
/// draw from the pool (gathers, host-made seeds) still give their outputs
/// back, so without this a steady loop grows the pool by those every step,
/// up to MAX_POOLED_BYTES, and its memory is never flat.
const MAX_PER_SIZE: usize = 64;

/// Free host buffers by (dtype, length).
#[derive(Default)]
pub struct BufferPool {
    free: HashMap<(DType, usize), Vec<HostData>>,
    bytes: usize,
}

impl BufferPool {
    /// Bytes held, free for reuse.
    pub fn pooled_bytes(&self) -> usize {
        self.bytes
    }

    /// A buffer of `n` elements of `T`, contents unspecified.
    pub fn take<T: Element + Default>(&mut self, n: usize) -> Vec<T> {
        if n >= MIN_POOLED {
            if let Some(d) = self.free.get_mut(&(T::DTYPE, n)).and_then(|v| v.pop()) {
                self.bytes -= n * T::DTYPE.size();
                if let Some(v) = T::into_vec(d) {
                    return v;
                }
            }
        }
        vec![T::default(); n]
    }

    /// Whether a buffer is large enough to keep, and held by no one else.
    pub fn worth_pooling(d: &std::sync::Arc<HostData>) -> bool {
        d.len() >= MIN_POOLED && std::sync::Arc::strong_count(d) == 1
    }

    /// Returns a buffer no one refers to any more.
    pub fn give(&mut self, d: HostData) {
        let n = d.len();
        let bytes = n * d.dtype().size();
        if n < MIN_POOLED || self.bytes + bytes > MAX_POOLED_BYTES {
            return;
        }
        let free = self.free.entry((d.dtype(), n)).or_default();
        if free.len() >= MAX_PER_SIZE {
            return;
        }
        self.bytes += bytes;
        free.push(d);
    }
}
