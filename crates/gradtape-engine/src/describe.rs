//! TF's `print(t)` form beside its repr, and `tf.shape`, `tf.rank`,
//! `tf.size` as tensors (the host numbers are `t.shape()`, `t.rank()`,
//! `t.numel()`). The functions are not re-exported at the crate root, where
//! names as common as `shape` and `size` would clash with a user's own:
//! `use gradtape::describe::{rank, shape, size};`, or the methods
//! `t.shape_tensor()`, `t.rank_tensor()`, `t.size_tensor()`.
//!
//! | TensorFlow | gradtape |
//! |---|---|
//! | `repr(t)` (the REPL's echo) | `t.to_string()`, `format!("{t}")` |
//! | `print(t)` / `str(t)` | `t.str()`, `format!("{t:#}")` |
//! | `print(v)` for a variable | `v.to_string()` (TF prints a variable's repr) |
//! | `tf.shape(t)` | `shape(&t)?` or `t.shape_tensor()?` (int32 tensor) |
//! | `tf.rank(t)` / `tf.size(t)` | `rank(&t)?` / `size(&t)?`, or `t.rank_tensor()?` / `t.size_tensor()?` (int32 scalars) |
//! | `t.shape` / `t.ndim` / `tf.size(t).numpy()` | `t.shape()` / `t.rank()` / `t.numel()` |
//!
//! ```
//! # use gradtape_engine::*;
//! use gradtape_engine::describe::{rank, shape, size};
//! let t = constant([1.0, 2.0])?;
//! // print(t)
//! assert_eq!(t.str(), "tf.Tensor([1. 2.], shape=(2,), dtype=float32)");
//! assert_eq!(format!("{t:#}"), t.str());
//! // t  (the repr)
//! assert_eq!(t.to_string(), "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>");
//! // print(tf.constant([[1, 2], [3, 4]]))
//! assert_eq!(constant([[1, 2], [3, 4]])?.str(), "tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)");
//! // tf.shape(t), tf.rank(t), tf.size(t)
//! let m = constant([[1, 2, 3], [4, 5, 6]])?;
//! assert_eq!(shape(&m)?.to_string(), "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([2, 3], dtype=int32)>");
//! assert_eq!(rank(&m)?.to_string(), "<tf.Tensor: shape=(), dtype=int32, numpy=2>");
//! assert_eq!(size(&m)?.to_string(), "<tf.Tensor: shape=(), dtype=int32, numpy=6>");
//! assert_eq!(m.shape_tensor()?.to_vec::<i32>()?, vec![2, 3]);
//! // a variable too: tf.shape(v)
//! assert_eq!(shape(&Variable::new([1.0, 2.0, 3.0])?)?.to_vec::<i32>()?, vec![3]);
//! # Ok::<(), gradtape_core::Error>(())
//! ```

use gradtape_core::{format, Error, Result};

use crate::{AsTensor, Tensor};

impl Tensor {
    /// TF's `str(t)`, what `print(t)` shows: `tf.Tensor([1. 2.], shape=(2,), dtype=float32)`.
    /// Also `format!("{t:#}")`. A value lost with a failed device shows the error.
    pub fn str(&self) -> String {
        match self.try_data() {
            Ok(d) => format::tensor_str(&d, self.shape()),
            Err(e) => format!("tf.Tensor(<unavailable: {e}>, shape={}, dtype={})", self.shape().tuple(), self.dtype()),
        }
    }

    /// `tf.shape(self)`: see [`shape`].
    pub fn shape_tensor(&self) -> Result<Tensor> {
        shape(self)
    }

    /// `tf.rank(self)`: see [`rank`].
    pub fn rank_tensor(&self) -> Result<Tensor> {
        rank(self)
    }

    /// `tf.size(self)`: see [`size`].
    pub fn size_tensor(&self) -> Result<Tensor> {
        size(self)
    }
}

fn int32(what: &str, n: usize) -> Result<i32> {
    i32::try_from(n).map_err(|_| Error::InvalidArgument(format!("{what} {n} does not fit in int32; use int64")))
}

/// `tf.shape(t)`: the dims as an int32 tensor of shape `[rank]`.
pub fn shape(t: impl AsTensor) -> Result<Tensor> {
    let t = t.as_tensor();
    let dims = t.dims().iter().map(|&d| int32("dimension", d)).collect::<Result<Vec<i32>>>()?;
    let n = dims.len();
    t.engine().from_vec(dims, &[n])
}

/// `tf.rank(t)`: the number of dimensions as an int32 scalar.
pub fn rank(t: impl AsTensor) -> Result<Tensor> {
    let t = t.as_tensor();
    t.engine().from_vec(vec![int32("rank", t.rank())?], &[])
}

/// `tf.size(t)`: the number of elements as an int32 scalar.
pub fn size(t: impl AsTensor) -> Result<Tensor> {
    let t = t.as_tensor();
    t.engine().from_vec(vec![int32("size", t.numel())?], &[])
}
