//! Matrix products: TF's rank rules (MatMul for rank 2, BatchMatMulV2 with
//! broadcast batch dims above), NumPy's 1-D promotion under legacy NumPy
//! behaviour, a GEMM kernel, and the gradient.

use gradtape_core::{broadcast_shapes, DType, Error, HostData, Result, Shape};
use smallvec::{smallvec, SmallVec};

use crate::numpy::{promote, PromotionMode};
use crate::pool::BufferPool;
use crate::ops::binary::when;
use crate::strided::{broadcast_strides, for_each_offset};
use crate::{AsTensor, Tensor};

/// A matmul with its transposes, as queued (`OpKind::MatMul`).
pub(crate) struct MatMulOp {
    pub transpose_a: bool,
    pub transpose_b: bool,
}

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

/// Gradients of `c = op(a) @ op(b)`; `g` is `batch dims ++ c.shape`.
pub(crate) fn grad(a: &Tensor, b: &Tensor, ta: bool, tb: bool, g: &Tensor, batch: usize, needs: &[bool]) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let (na, nb) = (needs[0], needs[1]);
    let (da, db) = match (ta, tb) {
        (false, false) => (when(na, || g.matmul_raw(b, false, true))?, when(nb, || a.matmul_raw(g, true, false))?),
        (false, true) => (when(na, || g.matmul_raw(b, false, false))?, when(nb, || g.matmul_raw(a, true, false))?),
        (true, false) => (when(na, || b.matmul_raw(g, false, true))?, when(nb, || a.matmul_raw(g, false, false))?),
        (true, true) => (when(na, || b.matmul_raw(g, true, true))?, when(nb, || g.matmul_raw(a, true, true))?),
    };
    Ok(smallvec![
        da.map(|d| d.sum_to(a.shape(), batch)).transpose()?,
        db.map(|d| d.sum_to(b.shape(), batch)).transpose()?
    ])
}

fn ndims_error(a: &Tensor, b: &Tensor) -> Error {
    if a.rank() == b.rank() {
        Error::InvalidArgument(format!("In[0] and In[1] ndims must be == 2: {} [Op:MatMul]", a.rank()))
    } else {
        Error::InvalidArgument(format!(
            "In[0] and In[1] has different ndims: {} vs. {} [Op:MatMul]",
            a.shape().bracketed(),
            b.shape().bracketed()
        ))
    }
}

impl Tensor {
    /// Batched matmul with broadcast batch dims; both operands rank >= 2.
    pub(crate) fn matmul_raw(&self, b: &Tensor, ta: bool, tb: bool) -> Result<Tensor> {
        let a = self;
        let op = if a.rank() == 2 && b.rank() == 2 { "MatMul" } else { "BatchMatMulV2" };
        if a.dtype() != b.dtype() {
            return Err(Error::InvalidArgument(format!(
                "cannot compute {op} as input #1(zero-based) was expected to be a {} tensor but is a {} tensor [Op:{op}]",
                a.dtype().kernel_name(),
                b.dtype().kernel_name()
            )));
        }
        if a.dtype() == DType::Bool {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'T' of bool is not in the list of allowed values [Op:{op}]"
            )));
        }
        let (ra, rb) = (a.rank(), b.rank());
        let (m, ka) = if ta { (a.dims()[ra - 1], a.dims()[ra - 2]) } else { (a.dims()[ra - 2], a.dims()[ra - 1]) };
        let (kb, n) = if tb { (b.dims()[rb - 1], b.dims()[rb - 2]) } else { (b.dims()[rb - 2], b.dims()[rb - 1]) };
        if ka != kb {
            return Err(Error::InvalidArgument(if op == "MatMul" {
                format!(
                    "Matrix size-incompatible: In[0]: {}, In[1]: {} [Op:MatMul]",
                    a.shape().bracketed(),
                    b.shape().bracketed()
                )
            } else {
                format!(
                    "In[0] mismatch In[1] shape: {ka} vs. {kb}: {} {} {} {} [Op:BatchMatMulV2]",
                    a.shape().bracketed(),
                    b.shape().bracketed(),
                    ta as u8,
                    tb as u8
                )
            }));
        }
        let batch = broadcast_shapes(&Shape::new(&a.dims()[..ra - 2]), &Shape::new(&b.dims()[..rb - 2])).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "In[0] and In[1] must have compatible batch dimensions: {} vs. {} [Op:BatchMatMulV2]",
                a.shape().bracketed(),
                b.shape().bracketed()
            ))
        })?;
        let mut dims = batch.dims().to_vec();
        dims.extend_from_slice(&[m, n]);
        Tensor::op(MatMulOp { transpose_a: ta, transpose_b: tb }.into(), &[a, b], Shape::from(dims), a.dtype())
    }

    /// `tf.matmul(self, b, transpose_a, transpose_b)`: rank >= 2 operands;
    /// batch dims broadcast.
    pub fn matmul_t(&self, b: impl AsTensor, transpose_a: bool, transpose_b: bool) -> Result<Tensor> {
        let b = b.as_tensor();
        let b: &Tensor = &b;
        if self.rank() < 2 || b.rank() < 2 {
            return Err(ndims_error(self, b));
        }
        self.matmul_raw(b, transpose_a, transpose_b)
    }

    /// `self @ b`. Under legacy NumPy behaviour a 1-D operand is promoted
    /// as NumPy does and mixed dtypes are promoted; otherwise TF's rules.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let a = constant([[1.0, 2.0], [3.0, 4.0]])?;
    /// let b = constant([[1.0], [1.0]])?;
    /// assert_eq!(a.matmul(&b)?.to_vec::<f32>()?, vec![3.0, 7.0]);
    /// let e = b.matmul(&b).unwrap_err();
    /// assert_eq!(e.to_string(), "InvalidArgumentError: Matrix size-incompatible: In[0]: [2,1], In[1]: [2,1] [Op:MatMul]");
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn matmul(&self, b: impl AsTensor) -> Result<Tensor> {
        let mode = self.engine().numpy_mode();
        let (mut a, mut b) = (self.clone(), b.as_tensor().into_owned());
        if a.dtype() != b.dtype() {
            if let Some(dt) = promote(mode, a.dtype(), b.dtype())? {
                a = a.cast(dt)?;
                b = b.cast(dt)?;
            }
        }
        if mode == PromotionMode::Legacy && (a.rank() == 1 || b.rank() == 1) && a.rank() >= 1 && b.rank() >= 1 {
            let (va, vb) = (a.rank() == 1, b.rank() == 1);
            let a2 = if va { a.expand_dims(0)? } else { a.clone() };
            let b2 = if vb { b.expand_dims(-1)? } else { b.clone() };
            let mut c = a2.matmul_raw(&b2, false, false)?;
            if vb {
                c = c.squeeze(&[-1])?;
            }
            if va {
                c = c.squeeze(&[if vb { -1 } else { -2 }])?;
            }
            return Ok(c);
        }
        a.matmul_t(&b, false, false)
    }
}

/// `tf.matmul(a, b)`; either may be a tensor or a variable.
///
/// ```
/// # use gradtape_engine::*;
/// let x = constant([[1.0, 2.0]])?;
/// let v = Variable::new([[1.0], [1.0]])?;
/// // tf.matmul(x, v)
/// assert_eq!(matmul(&x, &v)?.to_vec::<f32>()?, vec![3.0]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn matmul(a: impl AsTensor, b: impl AsTensor) -> Result<Tensor> {
    a.as_tensor().matmul(b)
}
