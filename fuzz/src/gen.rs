//! Reads a fuzz input as a stream of choices. Past the end every read is 0,
//! so any byte string is a complete program and a shrunk input stays valid.
//!
//! Values lean towards the ordinary (small dims, small numbers) with a fixed
//! share of the extreme ones: huge dims, NaN and infinities, integer limits,
//! out-of-range axes.

use gradtape::{DType, Idx};

/// Dims far beyond any machine's memory: a non-empty tensor with one of them
/// must be refused, and an empty one must not overflow anything.
pub const HUGE_DIMS: [usize; 5] = [1 << 45, 1 << 62, i64::MAX as usize, usize::MAX, (1 << 40) + 1];

pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Bytes<'a> {
        Bytes { data, pos: 0 }
    }

    pub fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// How many bytes were read (for tracing a crash).
    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.u8() as usize % n.max(1)
    }

    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    pub fn dtype(&mut self) -> DType {
        [DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool][self.below(5)]
    }

    /// 0..=3, or (rarely) a huge dim when `huge` allows it.
    pub fn dim(&mut self, huge: bool) -> usize {
        match self.u8() {
            b @ 0..=239 => (b % 4) as usize,
            b if huge => HUGE_DIMS[(b - 240) as usize % HUGE_DIMS.len()],
            b => (b % 4) as usize,
        }
    }

    /// Rank 0..=4.
    pub fn dims(&mut self, huge: bool) -> Vec<usize> {
        let rank = self.below(5);
        (0..rank).map(|_| self.dim(huge)).collect()
    }

    pub fn f64(&mut self) -> f64 {
        const SPECIAL: [f64; 10] =
            [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 1e300, -1e300, 1e-300, f64::MAX, f64::MIN_POSITIVE, 3.5e38];
        match self.u8() {
            b @ 0..=229 => (b as f64 - 115.0) / 16.0,
            b => SPECIAL[(b - 230) as usize % SPECIAL.len()],
        }
    }

    pub fn i64(&mut self) -> i64 {
        const SPECIAL: [i64; 8] =
            [i64::MIN, i64::MAX, i32::MIN as i64, i32::MAX as i64, -1, 0, 1 << 31, 1 << 40];
        match self.u8() {
            b @ 0..=229 => b as i64 - 115,
            b => SPECIAL[(b - 230) as usize % SPECIAL.len()],
        }
    }

    /// Mostly -5..=5, sometimes far out of range.
    pub fn axis(&mut self) -> i64 {
        const FAR: [i64; 6] = [i64::MIN, i64::MAX, 1 << 40, -(1 << 40), i32::MIN as i64, 100];
        match self.u8() {
            b @ 0..=249 => (b % 11) as i64 - 5,
            b => FAR[(b - 250) as usize % FAR.len()],
        }
    }

    pub fn axes(&mut self) -> Vec<i64> {
        let n = self.below(4);
        (0..n).map(|_| self.axis()).collect()
    }

    /// A reshape target: mostly -1..=3, sometimes negative or huge.
    pub fn shape_arg(&mut self) -> Vec<i64> {
        const ODD: [i64; 6] = [-2, i64::MIN, i64::MAX, 1 << 45, -1, 1 << 32];
        let rank = self.below(5);
        (0..rank)
            .map(|_| match self.u8() {
                b @ 0..=219 => (b % 5) as i64 - 1,
                b => ODD[(b - 220) as usize % ODD.len()],
            })
            .collect()
    }

    fn bound(&mut self) -> Option<i64> {
        match self.below(3) {
            0 => None,
            _ => Some(self.axis()),
        }
    }

    pub fn idx(&mut self) -> Idx {
        if self.below(3) == 0 {
            Idx::At(self.axis())
        } else {
            let step = match self.u8() {
                0..=199 => 1,
                b @ 200..=239 => (b % 7) as i64 - 3,
                b => [i64::MIN, i64::MAX, 1 << 40][(b - 240) as usize % 3],
            };
            Idx::Range(self.bound(), self.bound(), step)
        }
    }

    pub fn idxs(&mut self) -> Vec<Idx> {
        let n = self.below(5);
        (0..n).map(|_| self.idx()).collect()
    }
}
