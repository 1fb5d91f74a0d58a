//! The host kernels of the matrix product: a small unpacked AVX-512 kernel
//! (`small.rs`, with a second thread from `helper.rs`) for the mid-sized
//! products, gemm for the large ones, and a plain loop for integers.

use gradtape_core::{HostData, Shape};
use smallvec::SmallVec;

use crate::pool::BufferPool;
use crate::strided::{broadcast_strides, for_each_offset};

/// Below this many multiply-adds one thread is faster than waking the pool.
const PARALLEL_FLOPS: usize = 1 << 18;

/// The pool's size. Not `std::thread::available_parallelism`: on Linux that
/// opens and parses the cgroup's CPU quota files on every call, which cost
/// more than a whole 64^3 product (perf: kernfs, statx, read, per matmul).
fn threads() -> usize {
    rayon::current_num_threads()
}

mod helper;
mod small;

/// Up to this many multiply-adds (the MLP's 64x256 . 256x256 is 2^22) the
/// unpacked kernel of `small` beats gemm 0.19; at 256^3 (2^24) gemm's
/// packing pays for itself (measured A/B, benches/RESULTS.md).
const SMALL_FLOPS: usize = 1 << 23;

/// From this many multiply-adds the small kernel shares its chunks with the
/// helper thread; below (64^3, 64x256 . 256x10) the hand-off costs more
/// than the second core gives.
const SMALL_PARALLEL_FLOPS: usize = 1 << 20;

/// The destination, written by disjoint chunks from two threads.
struct SendPtr<T>(*mut T);
// SAFETY: each chunk writes its own block of the destination only.
unsafe impl<T> Sync for SendPtr<T> {}

#[allow(clippy::too_many_arguments)]
fn gemm_into<T: 'static + Copy + Default + Send + Sync + small::SmallFloat>(
    dst: &mut [T],
    a: &[T],
    b: &[T],
    m: usize,
    n: usize,
    k: usize,
    ta: bool,
    tb: bool,
    one: T,
) {
    // `transpose_b` would need a gathered row of B per step: gemm packs it.
    if !tb && m * n * k <= SMALL_FLOPS && small::available() {
        let (a_rs, a_cs) = if ta { (1, m) } else { (k, 1) };
        let packed;
        let o = if small::worth_packing(m, n, T::LANES) {
            packed = small::pack_b(b, k, n, T::LANES);
            small::Operands::packed(a.as_ptr(), a_rs, a_cs, packed.as_ptr(), n, k, T::LANES)
        } else {
            small::Operands::new(a.as_ptr(), a_rs, a_cs, b.as_ptr(), n, k, T::LANES)
        };
        let c = SendPtr(dst.as_mut_ptr());
        if threads() > 1 && m * n * k >= SMALL_PARALLEL_FLOPS {
            // Chunks of four tiles of rows by one block of columns, fixed by
            // the shape; each element's sum is the same whoever runs it.
            let (rg, cw) = (4 * small::TILE_ROWS, 4 * T::LANES);
            let (nr, nc) = (m.div_ceil(rg), n.div_ceil(cw));
            let (c, o) = (&c, &o);
            helper::chunks(nr * nc, &|i| {
                let (r, q) = (i / nc * rg, i % nc * cw);
                // SAFETY: AVX-512F is `available`; the operands hold m*k and
                // k*n elements at these strides and `dst` m*n; the chunks are
                // disjoint blocks.
                unsafe { T::block(o, c.0, r..(r + rg).min(m), q..(q + cw).min(n)) }
            });
        } else {
            // SAFETY: as above, one block for the whole product.
            unsafe { T::block(&o, c.0, 0..m, 0..n) }
        }
        return;
    }
    let (a_rs, a_cs) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (b_rs, b_cs) = if tb { (1, k as isize) } else { (n as isize, 1) };
    let par = match threads() {
        t if t > 1 && m * n * k >= PARALLEL_FLOPS => gemm::Parallelism::Rayon(t),
        _ => gemm::Parallelism::None,
    };
    // SAFETY: the slices hold m*k, k*n and m*n elements at the strides given,
    // as the caller sized them from validated shapes.
    unsafe {
        gemm::gemm(
            m, n, k,
            dst.as_mut_ptr(), 1, n as isize, false,
            a.as_ptr(), a_cs, a_rs,
            b.as_ptr(), b_cs, b_rs,
            one, one, false, false, false, par,
        );
    }
}

macro_rules! int_gemm {
    ($dst:expr, $a:expr, $b:expr, $m:expr, $n:expr, $k:expr, $ta:expr, $tb:expr) => {{
        for i in 0..$m {
            for j in 0..$n {
                let mut s = 0;
                for p in 0..$k {
                    let x = if $ta { $a[p * $m + i] } else { $a[i * $k + p] };
                    let y = if $tb { $b[j * $k + p] } else { $b[p * $n + j] };
                    s = x.wrapping_mul(y).wrapping_add(s);
                }
                $dst[i * $n + j] = s;
            }
        }
    }};
}

/// Batch offsets of each operand, in output batch order.
fn batch_offsets(s: &Shape, out_batch: &Shape, mat: usize) -> Vec<usize> {
    let b = Shape::new(&s.dims()[..s.rank() - 2]);
    let strides: SmallVec<[isize; 6]> = broadcast_strides(&b, out_batch).iter().map(|&x| x * mat as isize).collect();
    let mut v = Vec::with_capacity(out_batch.numel());
    for_each_offset(0, &strides, out_batch.dims(), |o| v.push(o));
    v
}

pub(crate) fn cpu(a: &HostData, sa: &Shape, b: &HostData, sb: &Shape, ta: bool, tb: bool, out: &Shape, pool: &mut BufferPool) -> HostData {
    let r = out.rank();
    let (m, n) = (out.dims()[r - 2], out.dims()[r - 1]);
    let k = if ta { sa.dims()[sa.rank() - 2] } else { sa.dims()[sa.rank() - 1] };
    let out_batch = Shape::new(&out.dims()[..r - 2]);
    let oa = batch_offsets(sa, &out_batch, m * k);
    let ob = batch_offsets(sb, &out_batch, k * n);
    macro_rules! run {
        ($va:expr, $vb:expr, $t:ty, $body:ident) => {{
            let mut dst: Vec<$t> = pool.take::<$t>(out.numel());
            for (bi, (&xa, &xb)) in oa.iter().zip(&ob).enumerate() {
                let d = &mut dst[bi * m * n..(bi + 1) * m * n];
                $body!(d, &$va[xa..xa + m * k], &$vb[xb..xb + k * n], m, n, k, ta, tb);
            }
            dst
        }};
    }
    macro_rules! float_gemm {
        ($d:expr, $a:expr, $b:expr, $m:expr, $n:expr, $k:expr, $ta:expr, $tb:expr) => {
            if $k == 0 {
                $d.fill(Default::default())
            } else {
                gemm_into($d, $a, $b, $m, $n, $k, $ta, $tb, num_one($a))
            }
        };
    }
    match (a, b) {
        (HostData::F32(x), HostData::F32(y)) => HostData::F32(run!(x, y, f32, float_gemm)),
        (HostData::F64(x), HostData::F64(y)) => HostData::F64(run!(x, y, f64, float_gemm)),
        (HostData::I32(x), HostData::I32(y)) => HostData::I32(run!(x, y, i32, int_gemm)),
        (HostData::I64(x), HostData::I64(y)) => HostData::I64(run!(x, y, i64, int_gemm)),
        _ => unreachable!("internal: matmul dtypes were checked at queue time"),
    }
}

trait One {
    fn one() -> Self;
}
impl One for f32 {
    fn one() -> f32 {
        1.0
    }
}
impl One for f64 {
    fn one() -> f64 {
        1.0
    }
}
fn num_one<T: One>(_: &[T]) -> T {
    T::one()
}
