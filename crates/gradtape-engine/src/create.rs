//! Creating tensors: `constant` (Python-literal rules), typed buffers (NumPy
//! rules: the dtype is kept), fills and ranges.

use gradtape_core::{DType, Element, Error, HostData, Result, Shape};

use crate::literal::IntoLiteral;
use crate::{Engine, Tensor};

impl Engine {
    /// `tf.constant(value)`: dtype inferred as TF infers it from Python values.
    pub fn constant(&self, value: impl IntoLiteral) -> Result<Tensor> {
        let lit = value.into_literal()?;
        let dt = lit.inferred_dtype();
        // Python literals make a weak tensor under 'all'/'safe' (not a list holding a tensor).
        let weak = self.literals_are_weak() && lit.tensor.is_none();
        Ok(Tensor::from_data(self, lit.to_data(dt)?, lit.shape).with_weak(weak))
    }

    /// `tf.constant(value, dtype=dtype)`.
    pub fn constant_with(&self, value: impl IntoLiteral, dtype: DType) -> Result<Tensor> {
        let lit = value.into_literal()?;
        if let Some(t) = lit.tensor.as_ref().filter(|t| t.dtype() != dtype) {
            return Err(crate::literal::list_dtype_error(t, dtype));
        }
        Ok(Tensor::from_data(self, lit.to_data(dtype)?, lit.shape))
    }

    /// `tf.constant(value, shape=shape)`: a scalar is broadcast, a list of
    /// the right size is reshaped.
    pub fn constant_shaped(&self, value: impl IntoLiteral, shape: &[usize]) -> Result<Tensor> {
        let lit = value.into_literal()?;
        let dt = lit.inferred_dtype();
        let shape = Shape::new(shape);
        let n = shape.checked_numel(dt.size())?;
        let data = lit.to_data(dt)?;
        let data = if lit.values.len() == 1 {
            gradtape_core::with_data!(&data, v => HostData::from_vec(vec![v[0]; n]))
        } else if lit.values.len() == n {
            data
        } else {
            return Err(Error::Type(format!(
                "Eager execution of tf.constant with unsupported shape. Tensor {} (converted from {}) has {} elements, but got `shape` {} with {} elements).",
                lit.python_repr(), lit.python_repr(), lit.values.len(), shape.tuple(), n
            )));
        };
        Ok(Tensor::from_data(self, data, shape))
    }

    /// A typed buffer that keeps its dtype, like a NumPy array.
    pub fn from_slice<T: Element>(&self, data: &[T], shape: &[usize]) -> Result<Tensor> {
        self.from_vec(data.to_vec(), shape)
    }

    /// Like [`Engine::from_slice`], taking ownership of the buffer.
    pub fn from_vec<T: Element>(&self, data: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        let shape = Shape::new(shape);
        if shape.checked_numel(T::DTYPE.size())? != data.len() {
            return Err(Error::InvalidArgument(format!(
                "a buffer of {} values cannot have shape {}",
                data.len(),
                shape.bracketed()
            )));
        }
        Ok(Tensor::from_data(self, T::wrap(data), shape))
    }

    /// `tf.fill(shape, value)` in `value`'s literal dtype.
    pub fn fill(&self, shape: &[usize], value: impl IntoLiteral) -> Result<Tensor> {
        self.constant_shaped(value, shape)
    }

    /// `tf.zeros(shape, dtype)`.
    pub fn zeros(&self, shape: &[usize], dtype: DType) -> Result<Tensor> {
        let shape = Shape::new(shape);
        let n = shape.checked_numel(dtype.size())?;
        Ok(Tensor::from_data(self, HostData::zeros(dtype, n), shape))
    }

    /// `tf.ones(shape, dtype)`.
    pub fn ones(&self, shape: &[usize], dtype: DType) -> Result<Tensor> {
        let shape = Shape::new(shape);
        let n = shape.checked_numel(dtype.size())?;
        Ok(Tensor::from_data(self, HostData::filled(dtype, n, 1.0), shape))
    }

    /// `tf.range(n)`: int32 `[0, n)`.
    pub fn range(&self, n: i32) -> Result<Tensor> {
        let v: Vec<i32> = (0..n.max(0)).collect();
        let len = v.len();
        self.from_vec(v, &[len])
    }
}

impl Tensor {
    /// `tf.zeros_like`.
    pub fn zeros_like(&self) -> Tensor {
        Tensor::from_data(&self.engine, HostData::zeros(self.dtype(), self.numel()), self.shape().clone())
    }

    /// `tf.ones_like`.
    pub fn ones_like(&self) -> Tensor {
        Tensor::from_data(&self.engine, HostData::filled(self.dtype(), self.numel(), 1.0), self.shape().clone())
    }

    /// A scalar of this tensor's dtype and engine.
    pub(crate) fn scalar_like(&self, v: f64) -> Tensor {
        Tensor::from_data(&self.engine, HostData::filled(self.dtype(), 1, v), Shape::scalar())
    }
}

/// `tf.constant` on the default engine.
///
/// A float literal gives float32 and an integer literal int32, as a Python
/// literal does in TF; nested arrays, slices and `Vec`s give higher ranks.
///
/// ```
/// # use gradtape_engine::*;
/// # use gradtape_core::DType;
/// let m = constant([[1, 2], [3, 4]])?;
/// assert_eq!((m.dims(), m.dtype()), (&[2, 2][..], DType::I32));
/// assert_eq!(constant(1.5)?.to_string(), "<tf.Tensor: shape=(), dtype=float32, numpy=1.5>");
/// // Ragged nesting is TF's ValueError.
/// assert!(constant(vec![vec![1], vec![2, 3]]).is_err());
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn constant(value: impl IntoLiteral) -> Result<Tensor> {
    Engine::default_engine().constant(value)
}

/// `tf.constant(value, dtype=...)` on the default engine.
pub fn constant_with(value: impl IntoLiteral, dtype: DType) -> Result<Tensor> {
    Engine::default_engine().constant_with(value, dtype)
}

/// `tf.constant(value, shape=...)` on the default engine.
pub fn constant_shaped(value: impl IntoLiteral, shape: &[usize]) -> Result<Tensor> {
    Engine::default_engine().constant_shaped(value, shape)
}

/// A typed buffer on the default engine; it keeps `T`'s dtype like a NumPy array.
pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Result<Tensor> {
    Engine::default_engine().from_slice(data, shape)
}

/// `tf.zeros` on the default engine.
pub fn zeros(shape: &[usize], dtype: DType) -> Result<Tensor> {
    Engine::default_engine().zeros(shape, dtype)
}

/// `tf.ones` on the default engine.
pub fn ones(shape: &[usize], dtype: DType) -> Result<Tensor> {
    Engine::default_engine().ones(shape, dtype)
}

/// `tf.fill` on the default engine.
pub fn fill(shape: &[usize], value: impl IntoLiteral) -> Result<Tensor> {
    Engine::default_engine().fill(shape, value)
}

/// `tf.range(n)` on the default engine.
pub fn range(n: i32) -> Result<Tensor> {
    Engine::default_engine().range(n)
}
