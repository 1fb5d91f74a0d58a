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

/// The summation block: sums are taken block by block over fixed boundaries
/// (multiples of `BLOCK` from the start), so the bits depend on the data
/// alone, never on how many threads share the blocks.
const BLOCK: usize = 1 << 12;

/// A float the deterministic sums handle.
pub trait SumFloat: Copy + Send + Sync + std::ops::Add<Output = Self> + std::ops::AddAssign {
    /// Additive identity.
    const ZERO: Self;
}
impl SumFloat for f32 {
    const ZERO: f32 = 0.0;
}
impl SumFloat for f64 {
    const ZERO: f64 = 0.0;
}

/// Accumulators per block: enough independent chains to hide the add
/// latency, and each chain adds at most `BLOCK / LANES` values in sequence.
const LANES: usize = 64;

/// One block's sum: `LANES` sequential chains, then a pairwise tree of them.
#[inline(always)]
fn block_body<T: SumFloat>(v: &[T]) -> T {
    let mut acc = [T::ZERO; LANES];
    let mut it = v.chunks_exact(LANES);
    for c in &mut it {
        for i in 0..LANES {
            acc[i] += c[i];
        }
    }
    for (a, &x) in acc.iter_mut().zip(it.remainder()) {
        *a += x;
    }
    let mut w = LANES / 2;
    while w > 0 {
        for i in 0..w {
            acc[i] = acc[i] + acc[i + w];
        }
        w /= 2;
    }
    acc[0]
}

/// The same additions in the same order, compiled for AVX2: only the
/// instruction width changes, never the result.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn block_avx2<T: SumFloat>(v: &[T]) -> T {
    block_body(v)
}

fn block_sum<T: SumFloat>(v: &[T]) -> T {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU was just checked for AVX2.
        return unsafe { block_avx2(v) };
    }
    block_body(v)
}

/// Adds `parts` (each `width` long, laid end to end) into the first, as a
/// fixed binary tree: part `b` takes part `b + s` for s = 1, 2, 4, ...
fn tree_combine<T: SumFloat>(parts: &mut [T], width: usize) {
    let n = if width == 0 { 0 } else { parts.len() / width };
    let mut s = 1;
    while s < n {
        let mut b = 0;
        while b + s < n {
            let (lo, hi) = parts.split_at_mut((b + s) * width);
            for (a, &x) in lo[b * width..(b + 1) * width].iter_mut().zip(&hi[..width]) {
                *a = *a + x;
            }
            b += 2 * s;
        }
        s *= 2;
    }
}

/// The sum of `v`: blocked, with block sums combined in a fixed tree. The
/// error grows with log(n), and every run and thread count gives the same bits.
pub fn sum<T: SumFloat>(v: &[T]) -> T {
    if v.len() <= BLOCK {
        return block_sum(v);
    }
    let mut parts: Vec<T> = Vec::with_capacity(v.len().div_ceil(BLOCK));
    if v.len() < PAR_MIN {
        parts.extend(v.chunks(BLOCK).map(block_sum));
    } else {
        v.par_chunks(BLOCK).map(block_sum).collect_into_vec(&mut parts);
    }
    tree_combine(&mut parts, 1);
    parts[0]
}

/// Row sums of a row-major `[n_out, count]` array into `out`.
pub fn sum_rows<T: SumFloat>(v: &[T], count: usize, out: &mut [T]) {
    if out.len() == 1 {
        out[0] = sum(v);
    } else if v.len() < PAR_MIN || count >= PAR_MIN {
        out.iter_mut().zip(v.chunks_exact(count)).for_each(|(o, r)| *o = sum(r));
    } else {
        out.par_iter_mut().zip(v.par_chunks_exact(count)).for_each(|(o, r)| *o = sum(r));
    }
}

/// Rows per block of a column sum: each column adds this many values in
/// sequence, then the blocks meet in a fixed tree.
const ROW_BLOCK: usize = 64;

/// Column sums of a row-major `[count, n_out]` array into `out`.
pub fn sum_cols<T: SumFloat>(v: &[T], count: usize, out: &mut [T]) {
    let n_out = out.len();
    // Columns `c0..c0 + dst.len()` of `rows`, added row after row.
    let fill = |dst: &mut [T], rows: &[T], c0: usize| {
        dst.fill(T::ZERO);
        for r in rows.chunks_exact(n_out) {
            for (a, &x) in dst.iter_mut().zip(&r[c0..]) {
                *a += x;
            }
        }
    };
    if count <= ROW_BLOCK {
        // One block: the columns are independent, so they split freely.
        if v.len() < PAR_MIN {
            fill(out, v, 0);
        } else {
            out.par_chunks_mut(CHUNK).enumerate().for_each(|(j, d)| fill(d, v, j * CHUNK));
        }
        return;
    }
    let blocks = count.div_ceil(ROW_BLOCK);
    let mut parts: Vec<T> = vec![T::ZERO; blocks * n_out];
    let step = ROW_BLOCK * n_out;
    if v.len() < PAR_MIN {
        parts.chunks_mut(n_out).zip(v.chunks(step)).for_each(|(d, r)| fill(d, r, 0));
    } else {
        parts.par_chunks_mut(n_out).zip(v.par_chunks(step)).for_each(|(d, r)| fill(d, r, 0));
    }
    tree_combine(&mut parts, n_out);
    out.copy_from_slice(&parts[..n_out]);
}
