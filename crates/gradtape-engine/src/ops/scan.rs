//! `tf.cumsum` and `tf.math.cumprod`: sequential scans along one axis,
//! optionally exclusive (the identity shifted in) and reversed; the kernel
//! is in `kernels/scan.rs`.

use gradtape_core::Result;
use smallvec::{smallvec, SmallVec};

use super::ext::{op, ExtOp};
pub use crate::op::ScanOp;
use crate::Tensor;

/// TF's rules: cumsum's gradient is the reverse cumsum of `g`; cumprod's is
/// `cumsum(cumprod(x) * g, reversed) / x` (so NaN where x is 0, as in TF).
pub(crate) fn grad(
    s: ScanOp,
    axis: usize,
    exclusive: bool,
    reverse: bool,
    x: &Tensor,
    g: &Tensor,
) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let dx = match s {
        ScanOp::Sum => g.scan(ScanOp::Sum, axis, exclusive, !reverse)?,
        ScanOp::Prod => {
            let batch = g.rank() - x.rank();
            let prod = x.scan(ScanOp::Prod, axis - batch, exclusive, reverse)?;
            prod.mul(g)?.scan(ScanOp::Sum, axis, exclusive, !reverse)?.div(x)?
        }
    };
    Ok(smallvec![Some(dx)])
}

impl Tensor {
    pub(crate) fn scan(&self, s: ScanOp, axis: usize, exclusive: bool, reverse: bool) -> Result<Tensor> {
        op(ExtOp::Scan { op: s, axis, exclusive, reverse }, &[self], self.shape().clone(), self.dtype())
    }

    fn scan_checked(&self, s: ScanOp, axis: i64, exclusive: bool, reverse: bool) -> Result<Tensor> {
        let name = if s == ScanOp::Sum { "Cumsum" } else { "Cumprod" };
        if self.dtype() == gradtape_core::DType::Bool {
            return Err(gradtape_core::Error::InvalidArgument(format!(
                "Value for attr 'T' of bool is not in the list of allowed values [Op:{name}]"
            )));
        }
        let r = self.rank() as i64;
        if axis < -r || axis >= r {
            return Err(gradtape_core::Error::InvalidArgument(format!(
                "ScanOp: Expected scan axis in the range [-{r}, {r}), but got {axis} [Op:{name}]"
            )));
        }
        let a = if axis < 0 { axis + r } else { axis } as usize;
        self.scan(s, a, exclusive, reverse)
    }

    /// `tf.cumsum(self, axis, exclusive, reverse)`.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([1, 2, 3, 4])?;
    /// assert_eq!(x.cumsum(0, false, false)?.to_vec::<i32>()?, vec![1, 3, 6, 10]);
    /// assert_eq!(x.cumsum(0, true, true)?.to_vec::<i32>()?, vec![9, 7, 4, 0]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn cumsum(&self, axis: i64, exclusive: bool, reverse: bool) -> Result<Tensor> {
        self.scan_checked(ScanOp::Sum, axis, exclusive, reverse)
    }

    /// `tf.math.cumprod(self, axis, exclusive, reverse)`.
    pub fn cumprod(&self, axis: i64, exclusive: bool, reverse: bool) -> Result<Tensor> {
        self.scan_checked(ScanOp::Prod, axis, exclusive, reverse)
    }
}
