//! The host kernels of the elementwise functions of one tensor: whole
//! buffers, and the fused path's blocks. The per-element functions come
//! from the registry's table (`gradtape_core::for_each_unary!`), so a new
//! unary primitive needs no edit here.

use gradtape_core::registry::{UnaryElem, UnaryKernel, UnaryOp};
use gradtape_core::HostData;

use crate::par;
use crate::pool::BufferPool;

// Each op gets its own monomorphised loop: the registry's dispatch calls
// a kernel's `run` with the op's own closure type (a function pointer per
// op would block vectorisation). `threaded` is false for one block of the
// fused path, which splits the work into blocks itself.
struct Map<'a, T> {
    out: &'a mut [T],
    x: &'a [T],
    threaded: bool,
}

impl<T: UnaryElem> UnaryKernel<T> for Map<'_, T> {
    type Output = ();
    fn run<F: Fn(T) -> T + Copy + Send + Sync>(self, f: F) {
        if self.threaded {
            par::map(self.out, self.x, f)
        } else {
            self.out.iter_mut().zip(self.x).for_each(|(o, &x)| *o = f(x))
        }
    }
}

fn no_kernel() -> ! {
    unreachable!("internal: float-only op on ints was rejected at queue time")
}

fn map<T: UnaryElem + gradtape_core::Element + Default>(op: UnaryOp, x: &[T], pool: &mut BufferPool) -> Vec<T> {
    let mut out = pool.take::<T>(x.len());
    T::dispatch(op, Map { out: &mut out, x, threaded: true }).unwrap_or_else(|| no_kernel());
    out
}

pub(crate) fn cpu(op: UnaryOp, x: &HostData, pool: &mut BufferPool) -> HostData {
    match x {
        HostData::F32(v) => HostData::F32(map(op, v, pool)),
        HostData::F64(v) => HostData::F64(map(op, v, pool)),
        HostData::I32(v) => HostData::I32(map(op, v, pool)),
        HostData::I64(v) => HostData::I64(map(op, v, pool)),
        HostData::Bool(_) => unreachable!("internal: bool math was rejected at queue time"),
        _ => unreachable!("internal: narrow dtypes are widened before math kernels (kernels::run_widened)"),
    }
}

/// `op` over block `x` into `o` (as long): the fused CPU path's kernel
/// (`backend/fuse.rs`), with the same per-element functions as [`cpu`].
pub(crate) fn cpu_block(op: UnaryOp, x: crate::block::Block, o: crate::block::BlockMut) {
    use crate::block::{Block as B, BlockMut as M};
    let done = match (x, o) {
        (B::F32(x), M::F32(out)) => f32::dispatch(op, Map { out, x, threaded: false }),
        (B::F64(x), M::F64(out)) => f64::dispatch(op, Map { out, x, threaded: false }),
        (B::I32(x), M::I32(out)) => i32::dispatch(op, Map { out, x, threaded: false }),
        (B::I64(x), M::I64(out)) => i64::dispatch(op, Map { out, x, threaded: false }),
        _ => unreachable!("internal: bool math was rejected at queue time"),
    };
    done.unwrap_or_else(|| no_kernel())
}
