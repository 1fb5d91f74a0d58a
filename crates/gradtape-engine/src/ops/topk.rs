//! `tf.math.top_k` as two primitives: the indices (a sort, no gradient) and
//! a gather along the last axis, whose gradient is a scatter-add.

use gradtape_core::{with_data, DType, Element, Error, HostData, Result, Shape};
use smallvec::{smallvec, SmallVec};

use super::ext::{op, ExtOp};
use crate::Tensor;

pub(crate) fn top_k_cpu(x: &HostData, shape: &Shape, k: usize) -> HostData {
    let n = shape.dims().last().copied().unwrap_or(1);
    let v = x.to_f64_vec();
    let mut out = Vec::with_capacity(v.len() / n.max(1) * k);
    for row in v.chunks(n.max(1)) {
        let mut idx: Vec<usize> = (0..n).collect();
        // Stable: equal values keep the lower index first. NaN sorts as the largest.
        idx.sort_by(|&a, &b| {
            let (x, y) = (row[a], row[b]);
            match (x.is_nan(), y.is_nan()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Less,
                (false, true) => std::cmp::Ordering::Greater,
                _ => y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal),
            }
        });
        out.extend(idx[..k].iter().map(|&i| i as i32));
    }
    HostData::I32(out)
}

/// The indices as offsets; a negative one becomes `usize::MAX`, out of range.
fn indices(idx: &HostData) -> Vec<usize> {
    idx.to_f64_vec().into_iter().map(|i| if i < 0.0 { usize::MAX } else { i as usize }).collect()
}

pub(crate) fn gather_last_cpu(x: &HostData, sx: &Shape, idx: &HostData, out: &Shape) -> HostData {
    let n = sx.dims().last().copied().unwrap_or(1);
    let k = out.dims().last().copied().unwrap_or(1);
    let ix = indices(idx);
    with_data!(x, v => {
        // An index out of range reads zero, as on the device; the public
        // `gather_last` has refused it before it got here.
        let o: Vec<_> = ix.iter().enumerate().map(|(p, &i)| if i < n { v[(p / k) * n + i] } else { Default::default() }).collect();
        HostData::from_vec(o)
    })
}

pub(crate) fn scatter_add_last_cpu(g: &HostData, idx: &HostData, n: usize, out: &Shape, dtype: DType) -> HostData {
    let ix = indices(idx);
    let k = if ix.is_empty() { 1 } else { g.len() / (out.numel() / n.max(1)).max(1) };
    macro_rules! go {
        ($v:expr, $t:ty) => {{
            let mut o = vec![<$t>::from_f64_lossy(0.0); out.numel()];
            // An index out of range adds nowhere, as on the device.
            for (p, (&i, &gv)) in ix.iter().zip($v.iter()).enumerate().filter(|(_, (&i, _))| i < n) {
                o[(p / k) * n + i] += gv;
            }
            HostData::from_vec(o)
        }};
    }
    match g {
        HostData::F32(v) => go!(v, f32),
        HostData::F64(v) => go!(v, f64),
        HostData::I32(v) => go!(v, i32),
        HostData::I64(v) => go!(v, i64),
        HostData::Bool(_) => HostData::zeros(dtype, out.numel()),
        _ => unreachable!("internal: narrow dtypes are widened before math kernels (kernels::run_widened)"),
    }
}

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
