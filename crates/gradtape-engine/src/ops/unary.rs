//! Elementwise functions of one tensor: kernels, dtype rules, gradients and
//! the public methods, all generated from the registry's table
//! (`gradtape_core::for_each_unary!`): a new unary primitive needs no edit
//! here.

use std::borrow::Cow;

use gradtape_core::registry::{BinaryOp, GradOps, UnaryElem, UnaryKernel};
use gradtape_core::{DType, Error, HostData, Result};
use smallvec::{smallvec, SmallVec};

use crate::par;
use crate::pool::BufferPool;
use crate::{Operand, Tensor};

/// The family's enum is declared once, in the registry both the engine and
/// the Vulkan device see.
pub use gradtape_core::registry::UnaryOp;

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
        _ => unreachable!("internal: narrow dtypes are widened before math kernels (op::run_widened)"),
    }
}

/// d op(x) / dx, times the upstream gradient: the registry's rule
/// (`UnaryOp::gradient`), run on tensors, so an outer tape records it.
pub(crate) fn grad(op: UnaryOp, x: &Tensor, y: &Tensor, g: &Tensor) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    Ok(smallvec![op.gradient(x, y, g)?])
}

/// The registry's gradient rules call the same public methods the
/// engine's own rules do.
impl GradOps for Tensor {
    fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        Tensor::unary(self, op)
    }
    fn binary(&self, op: BinaryOp, other: &Tensor) -> Result<Tensor> {
        crate::ops::operators::apply(op, Operand::Tensor(Cow::Borrowed(self)), Operand::Tensor(Cow::Borrowed(other)))
    }
    fn add_scalar(&self, v: f64) -> Result<Tensor> {
        Tensor::add(self, v)
    }
    fn mul_scalar(&self, v: f64) -> Result<Tensor> {
        Tensor::mul(self, v)
    }
    fn scalar_like(&self, v: f64) -> Tensor {
        Tensor::scalar_like(self, v)
    }
    fn zeros_like(&self) -> Tensor {
        Tensor::zeros_like(self)
    }
    fn select(&self, yes: &Tensor, no: &Tensor) -> Result<Tensor> {
        Tensor::select(self, yes, no)
    }
}

impl Tensor {
    /// Applies the elementwise primitive `op`, with its dtype rule and TF's
    /// error; every named method (`exp`, `relu`, ...) is this.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// use gradtape_engine::ops::unary::UnaryOp;
    /// assert_eq!(constant([-1.0, 2.0])?.unary(UnaryOp::Relu)?.to_vec::<f32>()?, vec![0.0, 2.0]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        let dt = self.dtype();
        if dt == DType::Bool || (!op.takes_ints() && !dt.is_float()) {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'T' of {} is not in the list of allowed values: {} [Op:{}]",
                dt,
                op.allowed_dtypes(),
                op.name()
            )));
        }
        // Rounding an integer is the integer itself: no kernel runs.
        if op == UnaryOp::Round && dt.is_int() {
            return self.identity();
        }
        let y = Tensor::op(op.into(), &[self], self.shape().clone(), dt)?;
        Ok(if op.keeps_weak() { y.with_weak(self.is_weak()) } else { y })
    }
}

/// One public method per primitive of the registry's table, with its docs.
macro_rules! methods {
    ($(
        $(#[$vm:meta])* $var:ident = $code:literal => $tf:literal {
            $(#[$md:meta])* fn $method:ident;
            $($rest:tt)*
        }
    )*) => {
        impl Tensor {
            $(
                $(#[$md])*
                pub fn $method(&self) -> Result<Tensor> {
                    self.unary(UnaryOp::$var)
                }
            )*
        }
    };
}

gradtape_core::for_each_unary!(methods);

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
