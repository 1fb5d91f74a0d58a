//! Philox-4x32-10 and TensorFlow's distributions over its words, exactly as
//! `philox_random.h` and `random_distributions.h` compute them.

/// A 128-bit counter (`c[0]` least significant) and a 64-bit key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Philox {
    pub(crate) counter: [u32; 4],
    pub(crate) key: [u32; 2],
}

const M0: u64 = 0xD251_1F53;
const M1: u64 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Ten rounds of Philox on one counter block.
pub(crate) fn block(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let (mut c, mut k) = (ctr, key);
    for round in 0..10 {
        let p0 = M0 * c[0] as u64;
        let p1 = M1 * c[2] as u64;
        c = [(p1 >> 32) as u32 ^ c[1] ^ k[0], p1 as u32, (p0 >> 32) as u32 ^ c[3] ^ k[1], p0 as u32];
        if round < 9 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
    }
    c
}

impl Philox {
    /// The generator of a key and counter given as 64-bit words.
    pub(crate) fn new(key: u64, counter_lo: u64, counter_hi: u64) -> Philox {
        Philox {
            counter: [counter_lo as u32, (counter_lo >> 32) as u32, counter_hi as u32, (counter_hi >> 32) as u32],
            key: [key as u32, (key >> 32) as u32],
        }
    }

    /// The stateless ops' GenerateKey: the seed pair scrambled into a key and counter.
    pub(crate) fn from_stateless_seed(s0: u64, s1: u64) -> Philox {
        let m = block([s0 as u32, (s0 >> 32) as u32, s1 as u32, (s1 >> 32) as u32], [0x3EC8_F720, 0x0246_1E29]);
        Philox { counter: [0, 0, m[2], m[3]], key: [m[0], m[1]] }
    }

    /// Adds `n` to the 128-bit counter.
    pub(crate) fn skip(&mut self, n: u64) {
        let c = &mut self.counter;
        let lo = (c[0] as u64 | (c[1] as u64) << 32) as u128 | ((c[2] as u64 | (c[3] as u64) << 32) as u128) << 64;
        let v = lo.wrapping_add(n as u128);
        *c = [v as u32, (v >> 32) as u32, (v >> 64) as u32, (v >> 96) as u32];
    }

    /// The next block of four words; the counter moves on by one.
    pub(crate) fn next_block(&mut self) -> [u32; 4] {
        let out = block(self.counter, self.key);
        self.skip(1);
        out
    }

    /// The words of the stream from here, one at a time (TF's `SingleSampleAdapter`).
    pub(crate) fn words(self) -> Words {
        Words { gen: self, buf: [0; 4], used: 4 }
    }
}

/// Words of a Philox stream, in order.
pub(crate) struct Words {
    gen: Philox,
    buf: [u32; 4],
    used: usize,
}

impl Words {
    pub(crate) fn next(&mut self) -> u32 {
        if self.used == 4 {
            self.buf = self.gen.next_block();
            self.used = 0;
        }
        self.used += 1;
        self.buf[self.used - 1]
    }
}

/// 23 random mantissa bits: a float32 in [0, 1).
pub(crate) fn unit_f32(w: u32) -> f32 {
    f32::from_bits(0x3F80_0000 | (w & 0x7F_FFFF)) - 1.0
}

/// 52 random mantissa bits from two words: a float64 in [0, 1).
pub(crate) fn unit_f64(w0: u32, w1: u32) -> f64 {
    f64::from_bits(1023u64 << 52 | ((w0 & 0xF_FFFF) as u64) << 32 | w1 as u64) - 1.0
}

/// Box-Muller on two words: two float32 normals.
pub(crate) fn box_muller_f32(w0: u32, w1: u32) -> (f32, f32) {
    let u1 = unit_f32(w0).max(1e-7);
    // TF multiplies by `2.0f * M_PI`, a double, and rounds the product to float.
    let v1 = (2.0 * std::f64::consts::PI * unit_f32(w1) as f64) as f32;
    let r = (-2.0f32 * u1.ln()).sqrt();
    (v1.sin() * r, v1.cos() * r)
}

/// Box-Muller on four words: two float64 normals.
pub(crate) fn box_muller_f64(w: [u32; 4]) -> (f64, f64) {
    let u1 = unit_f64(w[0], w[1]).max(1e-7);
    let v1 = 2.0 * std::f64::consts::PI * unit_f64(w[2], w[3]);
    let r = (-2.0 * u1.ln()).sqrt();
    (v1.sin() * r, v1.cos() * r)
}

/// `n` raw words from `gen`, consuming whole blocks as TF's kernels do.
pub(crate) fn raw_words(gen: Philox, n: usize) -> Vec<u32> {
    let mut w = gen.words();
    (0..n).map(|_| w.next()).collect()
}

/// `n` float32 uniforms in [0, 1).
pub(crate) fn uniform_f32(gen: Philox, n: usize) -> Vec<f32> {
    raw_words(gen, n).into_iter().map(unit_f32).collect()
}

/// `n` float64 uniforms in [0, 1).
pub(crate) fn uniform_f64(gen: Philox, n: usize) -> Vec<f64> {
    raw_words(gen, 2 * n).chunks(2).map(|c| unit_f64(c[0], c[1])).collect()
}

/// `n` standard float32 normals.
pub(crate) fn normal_f32(gen: Philox, n: usize) -> Vec<f32> {
    let w = raw_words(gen, n.div_ceil(2) * 2);
    let mut out: Vec<f32> = w.chunks(2).flat_map(|c| { let (a, b) = box_muller_f32(c[0], c[1]); [a, b] }).collect();
    out.truncate(n);
    out
}

/// `n` standard float64 normals.
pub(crate) fn normal_f64(gen: Philox, n: usize) -> Vec<f64> {
    let w = raw_words(gen, n.div_ceil(2) * 4);
    let mut out: Vec<f64> =
        w.chunks(4).flat_map(|c| { let (a, b) = box_muller_f64([c[0], c[1], c[2], c[3]]); [a, b] }).collect();
    out.truncate(n);
    out
}

/// `n` standard float32 normals with `|x| < 2`: each group of four restarts
/// from `gen` skipped by 256 blocks per group and rejects as it goes.
pub(crate) fn truncated_normal_f32(gen: Philox, n: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(n.div_ceil(4) * 4);
    for g in 0..n.div_ceil(4) {
        let mut gg = gen;
        gg.skip(g as u64 * 256);
        let mut w = gg.words();
        let mut got = 0;
        while got < 4 {
            let (a, b) = box_muller_f32(w.next(), w.next());
            for x in [a, b] {
                if x.abs() < 2.0 && got < 4 {
                    out.push(x);
                    got += 1;
                }
            }
        }
    }
    out.truncate(n);
    out
}

/// The float64 twin of [`truncated_normal_f32`]: groups of two, 128 blocks apart.
pub(crate) fn truncated_normal_f64(gen: Philox, n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n.div_ceil(2) * 2);
    for g in 0..n.div_ceil(2) {
        let mut gg = gen;
        gg.skip(g as u64 * 128);
        let mut w = gg.words();
        let mut got = 0;
        while got < 2 {
            let (a, b) = box_muller_f64([w.next(), w.next(), w.next(), w.next()]);
            for x in [a, b] {
                if x.abs() < 2.0 && got < 2 {
                    out.push(x);
                    got += 1;
                }
            }
        }
    }
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The known-answer vectors of the Random123 distribution for Philox-4x32-10.
    #[test]
    fn random123_known_answers() {
        assert_eq!(block([0; 4], [0; 2]), [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]);
        assert_eq!(
            block([0xffff_ffff; 4], [0xffff_ffff; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            block([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0]),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn skip_carries_through_all_words() {
        let mut p = Philox { counter: [u32::MAX, u32::MAX, 0, 0], key: [0, 0] };
        p.skip(1);
        assert_eq!(p.counter, [0, 0, 1, 0]);
    }

    #[test]
    fn unit_floats_cover_zero_to_one() {
        assert_eq!(unit_f32(0), 0.0);
        assert!(unit_f32(u32::MAX) < 1.0);
        assert_eq!(unit_f64(0, 0), 0.0);
        assert!(unit_f64(u32::MAX, u32::MAX) < 1.0);
    }
}
