//! Elementwise loops that split across threads when the work is large
//! enough to pay for it, and stay a plain (auto-vectorised) loop otherwise.

use rayon::prelude::*;

/// Below this many elements one thread is faster than waking the pool.
const PAR_MIN: usize = 1 << 16;
const CHUNK: usize = 1 << 14;

pub fn map<T: Copy + Sync, O: Send>(dst: &mut [O], a: &[T], f: impl Fn(T) -> O + Sync) {
    let run = |d: &mut [O], s: &[T]| d.iter_mut().zip(s).for_each(|(d, &x)| *d = f(x));
    if dst.len() < PAR_MIN {
        run(dst, a);
    } else {
        dst.par_chunks_mut(CHUNK).zip(a.par_chunks(CHUNK)).for_each(|(d, s)| run(d, s));
    }
}

pub fn zip<A: Copy + Sync, B: Copy + Sync, O: Send>(dst: &mut [O], a: &[A], b: &[B], f: impl Fn(A, B) -> O + Sync) {
    let run = |d: &mut [O], x: &[A], y: &[B]| d.iter_mut().zip(x.iter().zip(y)).for_each(|(d, (&x, &y))| *d = f(x, y));
    if dst.len() < PAR_MIN {
        run(dst, a, b);
    } else {
        dst.par_chunks_mut(CHUNK)
            .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
            .for_each(|(d, (x, y))| run(d, x, y));
    }
}

/// Sums with several independent accumulators, so the loop vectorises and
/// rounding error grows with log(n) chunks rather than n.
pub fn sum_f32(v: &[f32]) -> f32 {
    fn lanes(v: &[f32]) -> f32 {
        let mut acc = [0.0f32; 16];
        let mut it = v.chunks_exact(16);
        for c in &mut it {
            for i in 0..16 {
                acc[i] += c[i];
            }
        }
        let tail: f32 = it.remainder().iter().sum();
        acc.iter().sum::<f32>() + tail
    }
    if v.len() < PAR_MIN {
        lanes(v)
    } else {
        v.par_chunks(CHUNK).map(lanes).sum()
    }
}

pub fn sum_f64(v: &[f64]) -> f64 {
    fn lanes(v: &[f64]) -> f64 {
        let mut acc = [0.0f64; 8];
        let mut it = v.chunks_exact(8);
        for c in &mut it {
            for i in 0..8 {
                acc[i] += c[i];
            }
        }
        let tail: f64 = it.remainder().iter().sum();
        acc.iter().sum::<f64>() + tail
    }
    if v.len() < PAR_MIN {
        lanes(v)
    } else {
        v.par_chunks(CHUNK).map(lanes).sum()
    }
}
