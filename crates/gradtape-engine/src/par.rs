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

/// A float the deterministic sums handle.
pub trait SumFloat: Copy + Send + Sync + std::ops::Add<Output = Self> + std::ops::AddAssign {
    /// Additive identity.
    const ZERO: Self;
    /// [`sum_at`] for this type, with Eigen's AVX packet width.
    fn eigen_sum(v: &[Self], first: usize) -> Self;
}
impl SumFloat for f32 {
    const ZERO: f32 = 0.0;
    fn eigen_sum(v: &[f32], first: usize) -> f32 {
        tree::<f32, 8>(v, first)
    }
}
impl SumFloat for f64 {
    const ZERO: f64 = 0.0;
    fn eigen_sum(v: &[f64], first: usize) -> f64 {
        tree::<f64, 4>(v, first)
    }
}

/// Elements per leaf of Eigen's tree, in packets (`kLeafSize`).
const LEAF_PACKETS: usize = 1024;

/// Eigen's leaf (`InnerMostDimReducer<.., true, false>`): packets of `P`
/// lanes into four accumulators (stride 4P) added `((a0+a1)+a2)+a3`, then
/// the remaining whole packets into the first, then the scalars into `s`;
/// the result is `s + hsum(p)`, hsum folding halves (`p_i + p_{i+P/2}`).
#[inline(always)]
fn leaf_body<T: SumFloat, const P: usize>(v: &[T]) -> T {
    let n = v.len();
    let mut p0 = [T::ZERO; P];
    let mut start = 0;
    if n >= 4 * P {
        let (mut p1, mut p2, mut p3) = ([T::ZERO; P], [T::ZERO; P], [T::ZERO; P]);
        start = n / (4 * P) * (4 * P);
        for c in v[..start].chunks_exact(4 * P) {
            for l in 0..P {
                p0[l] += c[l];
                p1[l] += c[P + l];
                p2[l] += c[2 * P + l];
                p3[l] += c[3 * P + l];
            }
        }
        for l in 0..P {
            p0[l] = ((p0[l] + p1[l]) + p2[l]) + p3[l];
        }
    }
    let whole = n / P * P;
    for c in v[start..whole].chunks_exact(P) {
        for l in 0..P {
            p0[l] += c[l];
        }
    }
    let mut s = T::ZERO;
    for &x in &v[whole..] {
        s += x;
    }
    let mut w = P / 2;
    while w > 0 {
        for l in 0..w {
            p0[l] = p0[l] + p0[l + w];
        }
        w /= 2;
    }
    s + p0[0]
}

/// The same additions in the same order, compiled for AVX2: only the
/// instruction width changes, never the result.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn leaf_avx2<T: SumFloat, const P: usize>(v: &[T]) -> T {
    leaf_body::<T, P>(v)
}

fn leaf<T: SumFloat, const P: usize>(v: &[T]) -> T {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU was just checked for AVX2.
        return unsafe { leaf_avx2::<T, P>(v) };
    }
    leaf_body::<T, P>(v)
}

/// Eigen's tree (`InnerMostDimReducer<.., true, true>`): above `P * 1024`
/// values, split at the packet-aligned midpoint `P * ceil((first + ceil(n/2)) / P)`
/// (`first` is the absolute index of `v[0]`) and add `(0 + left) + right`.
/// The tree is fixed, so the halves may run on any threads.
fn tree<T: SumFloat, const P: usize>(v: &[T], first: usize) -> T {
    let n = v.len();
    if n <= P * LEAF_PACKETS {
        return leaf::<T, P>(v);
    }
    let split = P * (first + n.div_ceil(2)).div_ceil(P);
    let left = (split - first).min(n);
    let (a, b) = v.split_at(left);
    let (l, r) = if n >= PAR_MIN {
        rayon::join(|| tree::<T, P>(a, first), || tree::<T, P>(b, split))
    } else {
        (tree::<T, P>(a, first), if b.is_empty() { T::ZERO } else { tree::<T, P>(b, split) })
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
