//! `AsTensor`: what an op can read as a tensor, a `Tensor` or a `Variable`,
//! so that a variable goes wherever TF lets a `tf.Variable` go.
//!
//! A variable is read (TF's `ReadVariableOp`) when the op takes it, so an
//! active tape sees the read and, when it watches accessed variables,
//! watches the variable; later assignments do not change the op's result.
//!
//! | TensorFlow | gradtape |
//! |---|---|
//! | `tf.matmul(x, v)` | `matmul(&x, &v)?` |
//! | `v ** 2` / `tf.pow(v, 2)` | `v.pow(2)?` |
//! | `x @ v` | `x.matmul(&v)?` |
//! | `tf.concat([v, w], 0)` | `concat(&[&v, &w], 0)?` |
//! | `v.assign(w)` | `v.assign(&w)?` |
//!
//! ```
//! # use gradtape_engine::*;
//! let x = constant([[1.0, 2.0]])?;
//! let w = Variable::new([[3.0], [4.0]])?;
//! // tf.matmul(x, w)                 # w a tf.Variable
//! let y = matmul(&x, &w)?;
//! assert_eq!(y.to_vec::<f32>()?, vec![11.0]);
//! // w.assign(w * 2)  /  tf.reduce_sum_with(w ** 2)
//! w.assign((&w * 2)?)?;
//! assert_eq!(w.pow(2)?.reduce_sum()?.scalar::<f32>()?, 100.0);
//! # Ok::<(), gradtape_core::Error>(())
//! ```

use std::borrow::Cow;

use gradtape_core::{DType, Result};

use crate::ops::operators::Operand;
use crate::{Engine, Tensor, Variable};

/// A value an op reads as a tensor: a [`Tensor`] (borrowed, no copy) or a
/// [`Variable`] (its current value, read as `Variable::read` does).
pub trait AsTensor {
    /// The tensor to compute with.
    fn as_tensor(&self) -> Cow<'_, Tensor>;
}

impl AsTensor for Tensor {
    fn as_tensor(&self) -> Cow<'_, Tensor> {
        Cow::Borrowed(self)
    }
}

impl AsTensor for Variable {
    fn as_tensor(&self) -> Cow<'_, Tensor> {
        Cow::Owned(self.read())
    }
}

impl<T: AsTensor + ?Sized> AsTensor for &T {
    fn as_tensor(&self) -> Cow<'_, Tensor> {
        (**self).as_tensor()
    }
}

/// A literal operand as a tensor: of `like`'s dtype when given (TF converts
/// a Python value to the dtype the op's other input fixes), else inferred.
fn literal(engine: &Engine, op: &Operand, like: Option<DType>) -> Result<Tensor> {
    match (op, like) {
        (Operand::Int(i), Some(dt)) => engine.constant_with(*i, dt),
        (Operand::Float(f), Some(dt)) => engine.constant_with(*f, dt),
        (Operand::Int(i), None) => engine.constant(*i),
        (Operand::Float(f), None) => engine.constant(*f),
        (Operand::Tensor(_), _) => unreachable!("internal: called with a literal"),
    }
}

/// The two branches of `tf.where`: a literal takes the other branch's dtype
/// (`tf.where(c, x, 0.0)`), as SelectV2's shared type attribute makes TF
/// convert it; two literals are converted on their own.
pub(crate) fn branches(engine: &Engine, a: Operand<'_>, b: Operand<'_>) -> Result<(Tensor, Tensor)> {
    match (a, b) {
        (Operand::Tensor(a), Operand::Tensor(b)) => Ok((a.into_owned(), b.into_owned())),
        (Operand::Tensor(a), lit) => {
            let b = literal(a.engine(), &lit, Some(a.dtype()))?;
            Ok((a.into_owned(), b))
        }
        (lit, Operand::Tensor(b)) => Ok((literal(b.engine(), &lit, Some(b.dtype()))?, b.into_owned())),
        (la, lb) => Ok((literal(engine, &la, None)?, literal(engine, &lb, None)?)),
    }
}
