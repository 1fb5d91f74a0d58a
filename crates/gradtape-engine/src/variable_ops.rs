//! A `Variable` wherever TF takes a `tf.Variable`: every op method of
//! [`Tensor`] is also a method of [`Variable`] (one macro below forwards
//! them), each reading the variable first (TF's `ReadVariableOp`, which
//! tapes see), and a variable is a value for `assign`, `assign_add` and
//! `assign_sub`. What `assign*` returns prints as TF's `UnreadVariable`.
//!
//! | TensorFlow | gradtape |
//! |---|---|
//! | `v ** 2` | `v.pow(2)?` |
//! | `tf.reduce_sum(v)` | `v.reduce_sum()?` |
//! | `tf.reshape(v, [2, 1])` | `v.reshape([2, 1])?` |
//! | `v @ w` | `v.matmul(&w)?` |
//! | `-v` | `(-&v)?` |
//! | `v.assign(w)` / `v.assign(w * 2)` | `v.assign(&w)?` / `v.assign((&w * 2)?)?` |
//!
//! ```
//! # use gradtape_engine::*;
//! let v = Variable::new([1.0, 2.0])?;
//! // v ** 2
//! assert_eq!(v.pow(2)?.to_vec::<f32>()?, vec![1.0, 4.0]);
//! // tf.reshape(v, [2, 1])
//! assert_eq!(v.reshape([2, 1])?.dims(), &[2, 1]);
//! // print(v.assign([3., 4.]))
//! assert_eq!(
//!     v.assign([3.0, 4.0])?.to_string(),
//!     "<tf.Variable 'UnreadVariable' shape=(2,) dtype=float32, numpy=array([3., 4.], dtype=float32)>"
//! );
//! // w.assign(v)
//! let w = Variable::new([0.0, 0.0])?;
//! w.assign(&v)?;
//! assert_eq!(w.to_vec::<f32>()?, vec![3.0, 4.0]);
//! # Ok::<(), gradtape_core::Error>(())
//! ```
//!
//! NumPy's `.reshape` and `.T` methods are a Tensor's only: TF's
//! `ResourceVariable` has neither, even with NumPy behaviour on, so a
//! Variable's are TF's AttributeError (they would otherwise reach the
//! Tensor's through `Deref`):
//!
//! ```
//! # use gradtape_engine::*;
//! let v = Variable::new([1, 2, 3, 4])?;
//! let e = v.np_reshape([2, 2]).unwrap_err();
//! assert_eq!(e.to_string(), "AttributeError: 'ResourceVariable' object has no attribute 'reshape'");
//! # Ok::<(), gradtape_core::Error>(())
//! ```

use std::fmt;

use gradtape_core::{format, DType, Result};

use crate::ops::index::Idx;
use crate::ops::movement::ShapeArg;
use crate::ops::operators::IntoOperand;
use crate::ops::reduce::Axes;
use crate::variable::AssignValue;
use crate::{AsTensor, Engine, PadMode, Tensor, Variable};

impl Variable {
    /// TF's AttributeError: a `ResourceVariable` has no NumPy `reshape`
    /// method (`tf.reshape(v, ..)`, [`Variable::reshape`] here, works).
    pub fn np_reshape(&self, _shape: impl ShapeArg) -> Result<Tensor> {
        Err(no_attribute("reshape"))
    }

    /// TF's AttributeError: a `ResourceVariable` has no NumPy `T`.
    pub fn np_t(&self) -> Result<Tensor> {
        Err(no_attribute("T"))
    }
}

fn no_attribute(name: &str) -> gradtape_core::Error {
    gradtape_core::Error::Attribute(format!("'ResourceVariable' object has no attribute '{name}'"))
}

macro_rules! forward {
    ($($name:ident $(<$lt:lifetime>)? ($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        impl Variable {
            $(
                #[doc = concat!("Reads the variable, then [`Tensor::", stringify!($name), "`].")]
                pub fn $name $(<$lt>)? (&self $(, $arg: $ty)*) -> $ret {
                    self.read().$name($($arg),*)
                }
            )*
        }
    };
}

forward! {
    neg() -> Result<Tensor>;
    abs() -> Result<Tensor>;
    sign() -> Result<Tensor>;
    exp() -> Result<Tensor>;
    log() -> Result<Tensor>;
    sqrt() -> Result<Tensor>;
    square() -> Result<Tensor>;
    sin() -> Result<Tensor>;
    cos() -> Result<Tensor>;
    tanh() -> Result<Tensor>;
    sigmoid() -> Result<Tensor>;
    relu() -> Result<Tensor>;
    add<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    sub<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    mul<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    div<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    floordiv<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    pow<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    maximum<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    minimum<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    equal<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    not_equal<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    less<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    less_equal<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    greater<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    greater_equal<'o>(rhs: impl IntoOperand<'o>) -> Result<Tensor>;
    matmul(b: impl AsTensor) -> Result<Tensor>;
    matmul_t(b: impl AsTensor, transpose_a: bool, transpose_b: bool) -> Result<Tensor>;
    reshape(shape: impl ShapeArg) -> Result<Tensor>;
    t() -> Result<Tensor>;
    transpose(perm: &[i64]) -> Result<Tensor>;
    broadcast_to(shape: &[usize]) -> Result<Tensor>;
    expand_dims(axis: i64) -> Result<Tensor>;
    squeeze(axes: &[i64]) -> Result<Tensor>;
    reduce_sum() -> Result<Tensor>;
    reduce_mean() -> Result<Tensor>;
    reduce_max() -> Result<Tensor>;
    reduce_min() -> Result<Tensor>;
    reduce_prod() -> Result<Tensor>;
    reduce_sum_axis(axes: impl Into<Axes>) -> Result<Tensor>;
    reduce_mean_axis(axes: impl Into<Axes>) -> Result<Tensor>;
    reduce_max_axis(axes: impl Into<Axes>) -> Result<Tensor>;
    reduce_min_axis(axes: impl Into<Axes>) -> Result<Tensor>;
    reduce_prod_axis(axes: impl Into<Axes>) -> Result<Tensor>;
    reduce_sum_with(axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor>;
    reduce_mean_with(axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor>;
    reduce_max_with(axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor>;
    reduce_min_with(axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor>;
    reduce_prod_with(axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor>;
    sum() -> Result<Tensor>;
    cast(dtype: DType) -> Result<Tensor>;
    index(items: &[Idx]) -> Result<Tensor>;
    tile(multiples: &[i64]) -> Result<Tensor>;
    pad(paddings: &[[i64; 2]], mode: PadMode) -> Result<Tensor>;
    identity() -> Result<Tensor>;
    stop_gradient() -> Result<Tensor>;
    zeros_like() -> Tensor;
    ones_like() -> Tensor;
    numpy_repr() -> String;
    shape_tensor() -> Result<Tensor>;
    rank_tensor() -> Result<Tensor>;
    size_tensor() -> Result<Tensor>;
}

impl std::ops::Neg for &Variable {
    type Output = Result<Tensor>;
    fn neg(self) -> Result<Tensor> {
        self.read().neg()
    }
}

/// `v.assign(w)`: another variable's current value.
impl AssignValue for &Variable {
    fn to_tensor_like(self, engine: &Engine, dtype: DType) -> Result<Tensor> {
        (&self.read()).to_tensor_like(engine, dtype)
    }
}

/// `v.assign(w * 2)`: an op's result, owned.
impl AssignValue for Tensor {
    fn to_tensor_like(self, engine: &Engine, dtype: DType) -> Result<Tensor> {
        (&self).to_tensor_like(engine, dtype)
    }
}

/// What `assign`, `assign_add` and `assign_sub` return: the variable itself
/// (it dereferences to it, so calls chain: `v.assign(1.0)?.assign_add(2.0)?`),
/// printed as TF prints its `_UnreadVariable`:
/// `<tf.Variable 'UnreadVariable' shape=() dtype=float32, numpy=3.0>`.
#[derive(Clone, Copy)]
pub struct UnreadVariable<'a>(pub(crate) &'a Variable);

impl std::ops::Deref for UnreadVariable<'_> {
    type Target = Variable;
    fn deref(&self) -> &Variable {
        self.0
    }
}

impl AsTensor for UnreadVariable<'_> {
    fn as_tensor(&self) -> std::borrow::Cow<'_, Tensor> {
        self.0.as_tensor()
    }
}

impl fmt::Display for UnreadVariable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Straight from the buffer: printing is no op, so no tape sees it.
        f.write_str(&format::variable_repr("UnreadVariable", &self.0.storage(), self.0.shape()))
    }
}

impl fmt::Debug for UnreadVariable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
