//! An AVX-512 kernel for the small and mid-sized products (issue 13: the
//! MLP's 64x256 . 256x256 and 64x256 . 256x10, 64^3, 256^3), which gemm
//! 0.19 serves badly: it packs both operands on every call and, with the
//! destination row-major, turns `[64,256] . [256,10]` into a 10-row problem
//! that fills a fraction of each vector.
//!
//! Here the destination stays row-major and neither operand is packed: a
//! row of `B` is already what the kernel loads (up to four vectors of
//! columns), and each element of `A` is broadcast straight from memory, at
//! any stride, so `transpose_a` costs nothing. Each tile keeps `R x V`
//! accumulators in registers over the whole `k` loop, so every output
//! element is one fused multiply-add chain over `p = 0..k` in order: the
//! bits depend on the shape alone, never on the tiling or the threads.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Rows of `C` a full tile computes at once: 6 rows x 4 vectors is 24
/// accumulators, leaving registers for the 4 rows of `B` (32 in all).
pub(super) const TILE_ROWS: usize = 6;

/// Whether this CPU runs the kernel (checked once; the answer is cached by std).
pub(super) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The operands as the kernel reads them: `C[i,j] = sum_p A[i,p] B[p,j]`
/// with `A[i,p]` at `a + i*a_rs + p*a_cs`, and the four vectors of `B`'s
/// row `p` in column block `jb` (columns `jb*4*LANES ..`) contiguous at
/// `b + jb*b_panel + p*b_rs` (so `transpose_b` is not served here). `C` is
/// row-major, `n` wide.
pub(super) struct Operands<T> {
    pub a: *const T,
    pub a_rs: usize,
    pub a_cs: usize,
    pub b: *const T,
    pub b_rs: usize,
    pub b_panel: usize,
    pub n: usize,
    pub k: usize,
}

impl<T> Operands<T> {
    /// `B` as given: row-major, `n` wide.
    pub fn new(a: *const T, a_rs: usize, a_cs: usize, b: *const T, n: usize, k: usize, lanes: usize) -> Self {
        Operands { a, a_rs, a_cs, b, b_rs: n, b_panel: 4 * lanes, n, k }
    }

    /// `B` as [`pack_b`] laid it out.
    pub fn packed(a: *const T, a_rs: usize, a_cs: usize, b: *const T, n: usize, k: usize, lanes: usize) -> Self {
        Operands { a, a_rs, a_cs, b, b_rs: 4 * lanes, b_panel: 4 * lanes * k, n, k }
    }
}

/// Whether `B` is worth packing. Wider than one column block, its rows are
/// `4 n` bytes apart, and at `n = 256` a block's rows of four lines fall in
/// 16 of L1's 64 sets, more lines than its 12 ways hold, so the loads of a
/// tile missed L1 (perf: the loads of `B` took the samples). The copy pays
/// when many row tiles reuse it: at `[256,64] . [64,256]` (the MLP's dW1)
/// the product went from 51 to 46 µs with it, at `[64,256] . [256,256]`
/// (11 row tiles) from 47 to 53 µs (one thread, A B A B).
pub(super) fn worth_packing(m: usize, n: usize, lanes: usize) -> bool {
    n > 4 * lanes && m >= 128
}

/// `B` (`k x n`, row-major) as column blocks of `4 lanes` columns, each
/// `k` contiguous rows of `4 lanes` elements, the last block zero-padded:
/// a tile then reads one contiguous run. Copying changes no bit.
pub(super) fn pack_b<T: Copy + Default>(b: &[T], k: usize, n: usize, lanes: usize) -> Vec<T> {
    let bw = 4 * lanes;
    let nb = n.div_ceil(bw);
    let mut out = Vec::with_capacity(nb * k * bw);
    for jb in 0..nb {
        let (j0, w) = (jb * bw, bw.min(n - jb * bw));
        for row in b.chunks_exact(n).take(k) {
            out.extend_from_slice(&row[j0..j0 + w]);
            out.resize(out.len() + bw - w, T::default());
        }
    }
    out
}

// The pointers are read-only and outlive every call that borrows them.
unsafe impl<T> Sync for Operands<T> {}

macro_rules! kernel {
    ($modname:ident, $t:ty, $lanes:expr, $vec:ty, $mask:ty, $zero:ident, $set1:ident, $loadu:ident, $maskz_loadu:ident, $fmadd:ident, $storeu:ident, $mask_storeu:ident) => {
        pub(super) mod $modname {
            use super::*;

            /// Lanes of one vector.
            pub(in super::super) const LANES: usize = $lanes;

            /// One `R x V`-vector tile of `C` at row `i0` and column `j0`;
            /// `tail` masks the lanes of the last vector. `UNIT`: `A`'s rows
            /// are adjacent (`a_rs == 1`, `transpose_a`), so a step's
            /// broadcasts are fixed offsets of one pointer instead of a chain
            /// of adds that took issue slots from the FMAs.
            #[target_feature(enable = "avx512f")]
            unsafe fn tile<const R: usize, const V: usize, const UNIT: bool>(o: &Operands<$t>, c: *mut $t, i0: usize, j0: usize, tail: $mask) {
                let rs = if UNIT { 1 } else { o.a_rs };
                let mut acc = [[$zero(); V]; R];
                let mut pa = o.a.add(i0 * rs);
                // `j0` starts a column block (the callers step by blocks).
                let mut pb = o.b.add(j0 / (4 * LANES) * o.b_panel);
                for _ in 0..o.k {
                    let mut bv = [$zero(); V];
                    for v in 0..V {
                        bv[v] = if v + 1 == V { $maskz_loadu(tail, pb.add(v * LANES)) } else { $loadu(pb.add(v * LANES)) };
                    }
                    for r in 0..R {
                        let av = $set1(*pa.add(r * rs));
                        for v in 0..V {
                            acc[r][v] = $fmadd(av, bv[v], acc[r][v]);
                        }
                    }
                    pa = pa.add(o.a_cs);
                    pb = pb.add(o.b_rs);
                }
                for r in 0..R {
                    let pc = c.add((i0 + r) * o.n + j0);
                    for v in 0..V {
                        if v + 1 == V {
                            $mask_storeu(pc.add(v * LANES), tail, acc[r][v]);
                        } else {
                            $storeu(pc.add(v * LANES), acc[r][v]);
                        }
                    }
                }
            }

            #[target_feature(enable = "avx512f")]
            unsafe fn tile_rows<const V: usize, const UNIT: bool>(o: &Operands<$t>, c: *mut $t, i0: usize, rows: usize, j0: usize, tail: $mask) {
                match rows {
                    6 => tile::<6, V, UNIT>(o, c, i0, j0, tail),
                    5 => tile::<5, V, UNIT>(o, c, i0, j0, tail),
                    4 => tile::<4, V, UNIT>(o, c, i0, j0, tail),
                    3 => tile::<3, V, UNIT>(o, c, i0, j0, tail),
                    2 => tile::<2, V, UNIT>(o, c, i0, j0, tail),
                    _ => tile::<1, V, UNIT>(o, c, i0, j0, tail),
                }
            }

            /// The block `rows x cols` of `C` (row-major, `n` wide, at `c`,
            /// which points at row 0 of the whole product): a tile of up to
            /// [`TILE_ROWS`] rows at a time, each over column blocks of four
            /// vectors from `cols.start`.
            ///
            /// # Safety
            /// The CPU has AVX-512F ([`available`]); `o` addresses valid
            /// operands of `m x k` and `k x n` and `c` holds `m x n` elements
            /// for an `m` past `rows.end`, `cols.end <= n`; no other thread writes
            /// this block.
            #[target_feature(enable = "avx512f")]
            pub(in super::super) unsafe fn block(o: &Operands<$t>, c: *mut $t, rows: std::ops::Range<usize>, cols: std::ops::Range<usize>) {
                let block = 4 * LANES;
                debug_assert_eq!(cols.start % block, 0, "internal: a block starts at a column block");
                let mut j0 = cols.start;
                while j0 < cols.end {
                    let w = block.min(cols.end - j0);
                    let nv = w.div_ceil(LANES);
                    let rem = w - (nv - 1) * LANES;
                    let tail: $mask = if rem == LANES { !0 } else { ((1u32 << rem) - 1) as $mask };
                    let mut i0 = rows.start;
                    while i0 < rows.end {
                        let r = TILE_ROWS.min(rows.end - i0);
                        match (nv, o.a_rs == 1) {
                            (4, true) => tile_rows::<4, true>(o, c, i0, r, j0, tail),
                            (4, false) => tile_rows::<4, false>(o, c, i0, r, j0, tail),
                            (3, _) => tile_rows::<3, false>(o, c, i0, r, j0, tail),
                            (2, _) => tile_rows::<2, false>(o, c, i0, r, j0, tail),
                            _ => tile_rows::<1, false>(o, c, i0, r, j0, tail),
                        }
                        i0 += r;
                    }
                    j0 += w;
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
kernel!(f32k, f32, 16, __m512, __mmask16, _mm512_setzero_ps, _mm512_set1_ps, _mm512_loadu_ps, _mm512_maskz_loadu_ps, _mm512_fmadd_ps, _mm512_storeu_ps, _mm512_mask_storeu_ps);
#[cfg(target_arch = "x86_64")]
kernel!(f64k, f64, 8, __m512d, __mmask8, _mm512_setzero_pd, _mm512_set1_pd, _mm512_loadu_pd, _mm512_maskz_loadu_pd, _mm512_fmadd_pd, _mm512_storeu_pd, _mm512_mask_storeu_pd);

/// A float the kernel serves.
pub(super) trait SmallFloat: Copy + Sized + 'static {
    /// Vector lanes (the column blocks are four vectors wide).
    const LANES: usize;
    /// [`f32k::block`] or [`f64k::block`].
    ///
    /// # Safety
    /// As theirs.
    unsafe fn block(o: &Operands<Self>, c: *mut Self, rows: std::ops::Range<usize>, cols: std::ops::Range<usize>);
}

#[cfg(target_arch = "x86_64")]
impl SmallFloat for f32 {
    const LANES: usize = f32k::LANES;
    unsafe fn block(o: &Operands<f32>, c: *mut f32, rows: std::ops::Range<usize>, cols: std::ops::Range<usize>) {
        f32k::block(o, c, rows, cols)
    }
}
#[cfg(target_arch = "x86_64")]
impl SmallFloat for f64 {
    const LANES: usize = f64k::LANES;
    unsafe fn block(o: &Operands<f64>, c: *mut f64, rows: std::ops::Range<usize>, cols: std::ops::Range<usize>) {
        f64k::block(o, c, rows, cols)
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl SmallFloat for f32 {
    const LANES: usize = 16;
    unsafe fn block(_: &Operands<f32>, _: *mut f32, _: std::ops::Range<usize>, _: std::ops::Range<usize>) {
        unreachable!("internal: the small kernel runs only where `available`")
    }
}
#[cfg(not(target_arch = "x86_64"))]
impl SmallFloat for f64 {
    const LANES: usize = 8;
    unsafe fn block(_: &Operands<f64>, _: *mut f64, _: std::ops::Range<usize>, _: std::ops::Range<usize>) {
        unreachable!("internal: the small kernel runs only where `available`")
    }
}
