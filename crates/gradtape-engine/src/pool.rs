//! A pool of host buffers, so that a steady loop (a training step, a
//! benchmark) reuses its outputs' memory instead of asking the allocator
//! (and for large buffers the kernel, page by page) every time.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use gradtape_core::{DType, Element, HostData};

/// Buffers shorter than this are not pooled: every non-empty one is. Even
/// a tiny op's 4-float output is worth it: its `calloc` and `free` cost
/// about 250 instructions, a pooled take and give with [`KeyHasher`] about 60.
const MIN_POOLED: usize = 1;
/// Free bytes the pool may hold before it lets buffers go.
const MAX_POOLED_BYTES: usize = 1 << 30;
/// Free buffers of one (dtype, length) the pool keeps. Kernels that do not
/// draw from the pool (gathers, host-made seeds) still give their outputs
/// back, so without this a steady loop grows the pool by those every step,
/// up to MAX_POOLED_BYTES, and its memory is never flat.
const MAX_PER_SIZE: usize = 64;

/// Hashes the pool's `(dtype, length)` keys: std's SipHash costs about 80
/// instructions a look-up, more than a small buffer's allocation; these
/// keys need no protection against chosen collisions.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        // FxHash's step: a rotate, an xor and a multiply per word.
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn write_isize(&mut self, x: isize) {
        self.write_u64(x as u64);
    }
    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }
}

/// Free host buffers by (dtype, length).
#[derive(Default)]
pub struct BufferPool {
    free: HashMap<(DType, usize), Vec<HostData>, BuildHasherDefault<KeyHasher>>,
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
