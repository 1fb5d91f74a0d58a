//! Elementwise loops that split across threads when the work is large
//! enough to pay for it, and stay a plain (auto-vectorised) loop otherwise.

use rayon::prelude::*;

/// Below this many elements one thread is faster than waking the pool.
const PAR_MIN: usize = 1 << 16;
/// The same for [`map`] and [`zip`], whose work per element is one
/// instruction: handing a job to rayon from the engine's thread (outside
/// the pool) costs two wake-ups, and at 2^16 float32 (a 256x256 update, in
/// L2) one thread took 6 µs against 10 µs with the pool; from 2^17 the
/// two tie and past L2 the pool wins (measured, benches/RESULTS.md).
const MAP_PAR_MIN: usize = 1 << 17;
const CHUNK: usize = 1 << 14;

pub fn map<T: Copy + Sync, O: Send>(dst: &mut [O], a: &[T], f: impl Fn(T) -> O + Sync) {
    let run = |d: &mut [O], s: &[T]| d.iter_mut().zip(s).for_each(|(d, &x)| *d = f(x));
    if dst.len() < MAP_PAR_MIN {
        run(dst, a);
    } else {
        dst.par_chunks_mut(CHUNK).zip(a.par_chunks(CHUNK)).for_each(|(d, s)| run(d, s));
    }
}

pub fn zip<A: Copy + Sync, B: Copy + Sync, O: Send>(dst: &mut [O], a: &[A], b: &[B], f: impl Fn(A, B) -> O + Sync) {
    let run = |d: &mut [O], x: &[A], y: &[B]| d.iter_mut().zip(x.iter().zip(y)).for_each(|(d, (&x, &y))| *d = f(x, y));
    if dst.len() < MAP_PAR_MIN {
        run(dst, a, b);
    } else {
        dst.par_chunks_mut(CHUNK)
            .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
            .for_each(|(d, (x, y))| run(d, x, y));
    }
}

/// A float the deterministic sums handle.
pub trait SumFloat: Copy + Send + Sync + std::ops::Add<Output = Self> + std::ops::AddAssign {
    /// Additive identity.
    const ZERO: Self;
    /// [`sum_at`] for this type, with Eigen's AVX packet width.
    fn eigen_sum(v: &[Self], first: usize) -> Self;
    /// `acc[i] += c[i]` for each `acc.len()`-long chunk `c` of `v`: the
    /// leaf's main loop, lane by lane, so any instruction width gives the
    /// same bits.
    fn add_chunks(v: &[Self], acc: &mut [Self]) {
        for c in v.chunks_exact(acc.len()) {
            for (a, &x) in acc.iter_mut().zip(c) {
                *a += x;
            }
        }
    }
}
impl SumFloat for f32 {
    const ZERO: f32 = 0.0;
    fn eigen_sum(v: &[f32], first: usize) -> f32 {
        tree::<f32, 8, 32>(v, first)
    }
    fn add_chunks(v: &[f32], acc: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if acc.len() == 32 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was just detected; acc holds 4 registers' worth.
            unsafe { simd::add_chunks_f32(v, acc) };
            return;
        }
        for c in v.chunks_exact(acc.len()) {
            for (a, &x) in acc.iter_mut().zip(c) {
                *a += x;
            }
        }
    }
}
impl SumFloat for f64 {
    const ZERO: f64 = 0.0;
    fn eigen_sum(v: &[f64], first: usize) -> f64 {
        tree::<f64, 4, 16>(v, first)
    }
    fn add_chunks(v: &[f64], acc: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if acc.len() == 16 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was just detected; acc holds 4 registers' worth.
            unsafe { simd::add_chunks_f64(v, acc) };
            return;
        }
        for c in v.chunks_exact(acc.len()) {
            for (a, &x) in acc.iter_mut().zip(c) {
                *a += x;
            }
        }
    }
}

/// The leaf's main loop as Eigen's AVX build runs it: four packet
/// accumulators. LLVM's own vectorisation of the generic loop split the
/// lanes into 2-wide pieces and ran at half the memory bandwidth.
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn add_chunks_f32(v: &[f32], acc: &mut [f32]) {
        let a = acc.as_mut_ptr();
        let (mut a0, mut a1, mut a2, mut a3) = (_mm256_loadu_ps(a), _mm256_loadu_ps(a.add(8)), _mm256_loadu_ps(a.add(16)), _mm256_loadu_ps(a.add(24)));
        for c in v.chunks_exact(32) {
            let p = c.as_ptr();
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p.add(8)));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p.add(16)));
            a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p.add(24)));
        }
        _mm256_storeu_ps(a, a0);
        _mm256_storeu_ps(a.add(8), a1);
        _mm256_storeu_ps(a.add(16), a2);
        _mm256_storeu_ps(a.add(24), a3);
    }

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn add_chunks_f64(v: &[f64], acc: &mut [f64]) {
        let a = acc.as_mut_ptr();
        let (mut a0, mut a1, mut a2, mut a3) = (_mm256_loadu_pd(a), _mm256_loadu_pd(a.add(4)), _mm256_loadu_pd(a.add(8)), _mm256_loadu_pd(a.add(12)));
        for c in v.chunks_exact(16) {
            let p = c.as_ptr();
            a0 = _mm256_add_pd(a0, _mm256_loadu_pd(p));
            a1 = _mm256_add_pd(a1, _mm256_loadu_pd(p.add(4)));
            a2 = _mm256_add_pd(a2, _mm256_loadu_pd(p.add(8)));
            a3 = _mm256_add_pd(a3, _mm256_loadu_pd(p.add(12)));
        }
        _mm256_storeu_pd(a, a0);
        _mm256_storeu_pd(a.add(4), a1);
        _mm256_storeu_pd(a.add(8), a2);
        _mm256_storeu_pd(a.add(12), a3);
    }
}

/// Elements per leaf of Eigen's tree, in packets (`kLeafSize`).
const LEAF_PACKETS: usize = 1024;

/// Eigen's leaf (`InnerMostDimReducer<.., true, false>`): packets of `P`
/// lanes into four accumulators (stride 4P) added `((a0+a1)+a2)+a3`, then
/// the remaining whole packets into the first, then the scalars into `s`;
/// the result is `s + hsum(p)`, hsum folding halves (`p_i + p_{i+P/2}`).
#[inline]
fn leaf_body<T: SumFloat, const P: usize, const Q: usize>(v: &[T]) -> T {
    debug_assert_eq!(Q, 4 * P);
    let n = v.len();
    // acc[k * P + l] is Eigen's accumulator k, lane l.
    let mut acc = [T::ZERO; Q];
    let mut start = 0;
    if n >= Q {
        start = n / Q * Q;
        T::add_chunks(&v[..start], &mut acc);
        for l in 0..P {
            acc[l] = ((acc[l] + acc[P + l]) + acc[2 * P + l]) + acc[3 * P + l];
        }
    }
    let whole = n / P * P;
    for c in v[start..whole].chunks_exact(P) {
        for l in 0..P {
            acc[l] += c[l];
        }
    }
    let mut s = T::ZERO;
    for &x in &v[whole..] {
        s += x;
    }
    let mut w = P / 2;
    while w > 0 {
        for l in 0..w {
            acc[l] = acc[l] + acc[l + w];
        }
        w /= 2;
    }
    s + acc[0]
}

fn leaf<T: SumFloat, const P: usize, const Q: usize>(v: &[T]) -> T {
    leaf_body::<T, P, Q>(v)
}

/// Eigen's tree (`InnerMostDimReducer<.., true, true>`): above `P * 1024`
/// values, split at the packet-aligned midpoint `P * ceil((first + ceil(n/2)) / P)`
/// (`first` is the absolute index of `v[0]`) and add `(0 + left) + right`.
/// The tree is fixed, so the halves may run on any threads.
fn tree<T: SumFloat, const P: usize, const Q: usize>(v: &[T], first: usize) -> T {
    let n = v.len();
    if n <= P * LEAF_PACKETS {
        return leaf::<T, P, Q>(v);
    }
    let split = P * (first + n.div_ceil(2)).div_ceil(P);
    let left = (split - first).min(n);
    let (a, b) = v.split_at(left);
    let (l, r) = if n >= PAR_MIN {
        rayon::join(|| tree::<T, P, Q>(a, first), || tree::<T, P, Q>(b, split))
    } else {
        (tree::<T, P, Q>(a, first), if b.is_empty() { T::ZERO } else { tree::<T, P, Q>(b, split) })
    };
    let acc = T::ZERO + l;
    if b.is_empty() { acc } else { acc + r }
}

/// The sum of `v`, whose first element sits at flat index `first` of its
/// tensor, in exactly the order of TF's single-threaded Eigen reduction: TF's
/// bits, the same on every run and any thread count (Eigen itself cuts the
/// input per thread first, so TF's multi-threaded sums vary).
pub fn sum_at<T: SumFloat>(v: &[T], first: usize) -> T {
    T::eigen_sum(v, first)
}

/// Row sums of a row-major `[n_out, count]` array into `out`, each in TF's order.
pub fn sum_rows<T: SumFloat>(v: &[T], count: usize, out: &mut [T]) {
    if out.len() == 1 {
        out[0] = sum_at(v, 0);
    } else if v.len() < PAR_MIN || count >= PAR_MIN {
        out.iter_mut().zip(v.chunks_exact(count)).enumerate().for_each(|(i, (o, r))| *o = sum_at(r, i * count));
    } else {
        out.par_iter_mut()
            .zip(v.par_chunks_exact(count))
            .enumerate()
            .for_each(|(i, (o, r))| *o = sum_at(r, i * count));
    }
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
