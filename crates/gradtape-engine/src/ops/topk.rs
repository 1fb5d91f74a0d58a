//! `tf.math.top_k` as two primitives: the indices (a sort, no gradient) and
//! a gather along the last axis, whose gradient is a scatter-add; the
//! kernels are in `kernels/topk.rs`.

use gradtape_core::{DType, Error, Result, Shape};
use smallvec::{smallvec, SmallVec};

use super::ext::{op, ExtOp};
use crate::Tensor;

pub(crate) fn gather_last_grad(x: &Tensor, idx: &Tensor, g: &Tensor, batch: usize) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let idx = idx.broadcast_to(g.dims())?;
    let mut dims = g.dims()[..batch].to_vec();
    dims.extend_from_slice(x.dims());
    let n = x.dims().last().copied().unwrap_or(1);
    let dx = op(ExtOp::ScatterAddLast { n }, &[g, &idx], Shape::new(&dims), g.dtype())?;
    Ok(smallvec![Some(dx), None])
}

pub(crate) fn scatter_add_last_grad(idx: &Tensor, g: &Tensor, batch: usize) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let mut dims = g.dims()[..batch].to_vec();
    dims.extend_from_slice(idx.dims());
    let idx = idx.broadcast_to(&dims)?;
    Ok(smallvec![Some(g.gather_last_unchecked(&idx)?), None])
}

impl Tensor {
    /// `out[..., j] = self[..., idx[..., j]]` with `idx`'s leading dims equal to
    /// `self`'s (NumPy's `take_along_axis` on the last axis). An index
    /// outside `[0, n)` is TF's `InvalidArgumentError`, as in `tf.gather`;
    /// checking it reads `idx`.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])?;
    /// let y = x.gather_last(&constant([[2, 0], [1, 1]])?)?;
    /// assert_eq!(y.to_vec::<f32>()?, vec![3.0, 1.0, 5.0, 5.0]);
    /// let e = x.gather_last(&constant([[0, 3], [0, 0]])?).unwrap_err();
    /// assert_eq!(e.to_string(), "InvalidArgumentError: indices[0,1] = 3 is not in [0, 3) [Op:GatherLast]");
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn gather_last(&self, idx: &Tensor) -> Result<Tensor> {
        let out = self.gather_last_shape(idx)?;
        let n = self.dims()[self.rank() - 1];
        let vals = idx.try_data()?.to_f64_vec();
        if let Some(p) = vals.iter().position(|&i| i < 0.0 || i >= n as f64) {
            let mut at = Vec::with_capacity(idx.rank());
            let mut rest = p;
            for &d in idx.dims().iter().rev() {
                at.push(rest % d);
                rest /= d;
            }
            let at: Vec<String> = at.iter().rev().map(usize::to_string).collect();
            return Err(Error::InvalidArgument(format!(
                "indices[{}] = {} is not in [0, {n}) [Op:GatherLast]",
                at.join(","),
                vals[p] as i64
            )));
        }
        op(ExtOp::GatherLast, &[self, idx], out, self.dtype())
    }

    /// [`Tensor::gather_last`] for indices known to be in range (top_k's,
    /// checked labels, a gradient's), without reading them.
    pub(crate) fn gather_last_unchecked(&self, idx: &Tensor) -> Result<Tensor> {
        let out = self.gather_last_shape(idx)?;
        op(ExtOp::GatherLast, &[self, idx], out, self.dtype())
    }

    fn gather_last_shape(&self, idx: &Tensor) -> Result<Shape> {
        let r = self.rank();
        if r == 0 || idx.rank() != r || idx.dims()[..r - 1] != self.dims()[..r - 1] || !idx.dtype().is_int() {
            return Err(Error::InvalidArgument(format!(
                "gather_last needs int indices shaped {}[k], got {} {}",
                Shape::new(&self.dims()[..r.saturating_sub(1)]).bracketed(),
                idx.dtype(),
                idx.shape().bracketed()
            )));
        }
        Ok(idx.shape().clone())
    }

    /// `tf.math.top_k(self, k)`: the `k` largest along the last axis,
    /// descending, ties to the lower index; `(values, int32 indices)`.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let (v, i) = constant([1.0, 3.0, 2.0, 3.0, 0.0])?.top_k(3)?;
    /// assert_eq!((v.to_vec::<f32>()?, i.to_vec::<i32>()?), (vec![3.0, 3.0, 2.0], vec![1, 3, 2]));
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn top_k(&self, k: usize) -> Result<(Tensor, Tensor)> {
        if self.rank() == 0 {
            return Err(Error::InvalidArgument("input must be >= 1-D, got shape [] [Op:TopKV2]".into()));
        }
        let n = self.dims()[self.rank() - 1];
        if n < k {
            return Err(Error::InvalidArgument(format!(
                "input must have at least k columns. Had {n}, needed {k} [Op:TopKV2]"
            )));
        }
        if self.dtype() == DType::Bool {
            return Err(Error::InvalidArgument(
                "Value for attr 'T' of bool is not in the list of allowed values [Op:TopKV2]".into(),
            ));
        }
        let mut dims = self.dims().to_vec();
        *dims.last_mut().expect("rank >= 1") = k;
        let idx = op(ExtOp::TopKIndices { k }, &[self], Shape::new(&dims), DType::I32)?;
        Ok((self.gather_last_unchecked(&idx)?, idx))
    }
}
