//! TensorFlow's global and op seeds (`random_seed.py`) and the eager kernel
//! cache that makes a repeated seeded call continue its stream.
//!
//! The state is per thread: a test thread, like a TF program, sees only the
//! seeds it set itself.

use std::cell::RefCell;
use std::collections::HashMap;

use gradtape_core::DType;

use super::philox::Philox;

/// Python's `random.Random` (MT19937 seeded with `init_by_array`), which TF
/// uses to draw op seeds when only the global seed is set.
pub(crate) struct PyRandom {
    mt: [u32; 624],
    index: usize,
}

impl PyRandom {
    /// `random.Random(seed)` for a Python int.
    pub(crate) fn new(seed: i64) -> PyRandom {
        let mut a = seed.unsigned_abs();
        let mut key = Vec::new();
        while a > 0 {
            key.push(a as u32);
            a >>= 32;
        }
        if key.is_empty() {
            key.push(0);
        }
        let mut r = PyRandom { mt: [0; 624], index: 624 };
        r.init_genrand(19_650_218);
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..624.max(key.len()) {
            let prev = r.mt[i - 1] ^ (r.mt[i - 1] >> 30);
            r.mt[i] = (r.mt[i] ^ prev.wrapping_mul(1_664_525)).wrapping_add(key[j]).wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= 624 {
                r.mt[0] = r.mt[623];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..623 {
            let prev = r.mt[i - 1] ^ (r.mt[i - 1] >> 30);
            r.mt[i] = (r.mt[i] ^ prev.wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= 624 {
                r.mt[0] = r.mt[623];
                i = 1;
            }
        }
        r.mt[0] = 0x8000_0000;
        r
    }

    fn init_genrand(&mut self, s: u32) {
        self.mt[0] = s;
        for i in 1..624 {
            self.mt[i] = 1_812_433_253u32.wrapping_mul(self.mt[i - 1] ^ (self.mt[i - 1] >> 30)).wrapping_add(i as u32);
        }
        self.index = 624;
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            for k in 0..624 {
                let y = (self.mt[k] & 0x8000_0000) | (self.mt[(k + 1) % 624] & 0x7FFF_FFFF);
                let mut v = self.mt[(k + 397) % 624] ^ (y >> 1);
                if y & 1 != 0 {
                    v ^= 0x9908_B0DF;
                }
                self.mt[k] = v;
            }
            self.index = 0;
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C_5680;
        y ^= (y << 15) & 0xEFC6_0000;
        y ^ (y >> 18)
    }

    /// `randint(0, 2**31 - 1)`: `_randbelow(2**31)` draws 32 bits and rejects.
    pub(crate) fn randint_maxint32(&mut self) -> i64 {
        loop {
            let r = self.next_u32();
            if r < 0x8000_0000 {
                return r as i64;
            }
        }
    }
}

const MAXINT32: i64 = (1 << 31) - 1;
const DEFAULT_GRAPH_SEED: i64 = 87_654_321;

/// What a kernel is cached by in eager mode: its op name and attributes.
type KernelKey = (&'static str, DType, i64, i64);

struct SeedState {
    global: Option<i64>,
    rng: PyRandom,
    kernels: HashMap<KernelKey, Philox>,
}

thread_local! {
    static STATE: RefCell<SeedState> =
        RefCell::new(SeedState { global: None, rng: PyRandom::new(0), kernels: HashMap::new() });
}

/// `tf.random.set_seed(seed)`: the global seed, a fresh op-seed sequence and
/// an empty kernel cache.
pub fn set_seed(seed: i64) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.global = Some(seed);
        s.rng = PyRandom::new(seed);
        s.kernels.clear();
    });
}

/// `random_seed.get_seed(op_seed)`: the `(seed, seed2)` pair a stateful op
/// runs with; `None` when neither seed is set (TF then seeds nondeterministically).
pub fn get_seed(op_seed: Option<i64>) -> Option<(i64, i64)> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let seeds = match (s.global, op_seed) {
            (Some(g), Some(o)) => (g, o),
            (Some(g), None) => (g, s.rng.randint_maxint32()),
            (None, Some(o)) => (DEFAULT_GRAPH_SEED, o),
            (None, None) => return None,
        };
        let seeds = (seeds.0.rem_euclid(MAXINT32), seeds.1.rem_euclid(MAXINT32));
        Some(if seeds == (0, 0) { (0, MAXINT32) } else { seeds })
    })
}

/// The generator of one run of a stateful kernel: the cached kernel's stream
/// at its current counter, which then moves on by `skip` blocks.
pub(crate) fn kernel_stream(op: &'static str, dtype: DType, op_seed: Option<i64>, skip: u64) -> Philox {
    let (seed, seed2) = get_seed(op_seed).unwrap_or_else(nondeterministic_seeds);
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let gen = s.kernels.entry((op, dtype, seed, seed2)).or_insert_with(|| Philox::new(seed as u64, 0, seed2 as u64));
        let now = *gen;
        gen.skip(skip);
        now
    })
}

/// TF's `(None, None)`: a seed from the OS's randomness.
fn nondeterministic_seeds() -> (i64, i64) {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    let v = h.finish();
    ((v >> 1) as i64 & MAXINT32, (v >> 32) as i64 & MAXINT32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `random.Random(1234).getrandbits(32)` etc., from CPython.
    #[test]
    fn python_random_matches_cpython() {
        // random.Random(0).getrandbits(32) == 3626764237; random.Random(1).getrandbits(32) == 577090037
        assert_eq!(PyRandom::new(0).next_u32(), 3_626_764_237);
        assert_eq!(PyRandom::new(1).next_u32(), 577_090_037);
    }

    #[test]
    fn seed_pairs_follow_random_seed_py() {
        set_seed(0);
        assert_eq!(get_seed(Some(0)), Some((0, MAXINT32)));
        set_seed(5);
        assert_eq!(get_seed(Some(3)), Some((5, 3)));
        assert_eq!(get_seed(Some(MAXINT32 + 2)), Some((5, 2)));
    }
}
