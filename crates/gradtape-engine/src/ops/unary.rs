//! Elementwise functions of one tensor: dtype rules, gradients and the
//! public methods, all generated from the registry's table
//! (`gradtape_core::for_each_unary!`), as the kernels in
//! `kernels/unary.rs` are: a new unary primitive needs no edit here.

use std::borrow::Cow;

use gradtape_core::registry::{BinaryOp, GradOps};
use gradtape_core::{DType, Error, Result};
use smallvec::{smallvec, SmallVec};

use crate::{Operand, Tensor};

/// The family's enum is declared once, in the registry both the engine and
/// the Vulkan device see.
pub use gradtape_core::registry::UnaryOp;

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
