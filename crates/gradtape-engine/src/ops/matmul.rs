//! Matrix products: TF's rank rules (MatMul for rank 2, BatchMatMulV2 with
//! broadcast batch dims above), NumPy's 1-D promotion under legacy NumPy
//! behaviour, and the gradient; the GEMM kernels are in `kernels/matmul.rs`.

use gradtape_core::{broadcast_shapes, DType, Error, Result, Shape};
use smallvec::{smallvec, SmallVec};

use crate::numpy::{promote, PromotionMode};
use crate::op::MatMulOp;
use crate::ops::binary::when;
use crate::{AsTensor, Tensor};

/// Gradients of `c = op(a) @ op(b)`; `g` is `batch dims ++ c.shape`.
pub(crate) fn grad(a: &Tensor, b: &Tensor, ta: bool, tb: bool, g: &Tensor, batch: usize, needs: &[bool]) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let (na, nb) = (needs[0], needs[1]);
    let (da, db) = match (ta, tb) {
        (false, false) => (when(na, || g.matmul_raw(b, false, true))?, when(nb, || a.matmul_raw(g, true, false))?),
        (false, true) => (when(na, || g.matmul_raw(b, false, false))?, when(nb, || g.matmul_raw(a, true, false))?),
        (true, false) => (when(na, || b.matmul_raw(g, false, true))?, when(nb, || a.matmul_raw(g, false, false))?),
        (true, true) => (when(na, || b.matmul_raw(g, true, true))?, when(nb, || g.matmul_raw(a, true, true))?),
    };
    Ok(smallvec![
        da.map(|d| d.sum_to(a.shape(), batch)).transpose()?,
        db.map(|d| d.sum_to(b.shape(), batch)).transpose()?
    ])
}

fn ndims_error(a: &Tensor, b: &Tensor) -> Error {
    if a.rank() == b.rank() {
        Error::InvalidArgument(format!("In[0] and In[1] ndims must be == 2: {} [Op:MatMul]", a.rank()))
    } else {
        Error::InvalidArgument(format!(
            "In[0] and In[1] has different ndims: {} vs. {} [Op:MatMul]",
            a.shape().bracketed(),
            b.shape().bracketed()
        ))
    }
}

impl Tensor {
    /// Batched matmul with broadcast batch dims; both operands rank >= 2.
    pub(crate) fn matmul_raw(&self, b: &Tensor, ta: bool, tb: bool) -> Result<Tensor> {
        let a = self;
        let op = if a.rank() == 2 && b.rank() == 2 { "MatMul" } else { "BatchMatMulV2" };
        if a.dtype() != b.dtype() {
            return Err(Error::InvalidArgument(format!(
                "cannot compute {op} as input #1(zero-based) was expected to be a {} tensor but is a {} tensor [Op:{op}]",
                a.dtype().kernel_name(),
                b.dtype().kernel_name()
            )));
        }
        if a.dtype() == DType::Bool {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'T' of bool is not in the list of allowed values [Op:{op}]"
            )));
        }
        let (ra, rb) = (a.rank(), b.rank());
        let (m, ka) = if ta { (a.dims()[ra - 1], a.dims()[ra - 2]) } else { (a.dims()[ra - 2], a.dims()[ra - 1]) };
        let (kb, n) = if tb { (b.dims()[rb - 1], b.dims()[rb - 2]) } else { (b.dims()[rb - 2], b.dims()[rb - 1]) };
        if ka != kb {
            return Err(Error::InvalidArgument(if op == "MatMul" {
                format!(
                    "Matrix size-incompatible: In[0]: {}, In[1]: {} [Op:MatMul]",
                    a.shape().bracketed(),
                    b.shape().bracketed()
                )
            } else {
                format!(
                    "In[0] mismatch In[1] shape: {ka} vs. {kb}: {} {} {} {} [Op:BatchMatMulV2]",
                    a.shape().bracketed(),
                    b.shape().bracketed(),
                    ta as u8,
                    tb as u8
                )
            }));
        }
        let batch = broadcast_shapes(&Shape::new(&a.dims()[..ra - 2]), &Shape::new(&b.dims()[..rb - 2])).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "In[0] and In[1] must have compatible batch dimensions: {} vs. {} [Op:BatchMatMulV2]",
                a.shape().bracketed(),
                b.shape().bracketed()
            ))
        })?;
        let mut dims = batch.dims().to_vec();
        dims.extend_from_slice(&[m, n]);
        Tensor::op(MatMulOp { transpose_a: ta, transpose_b: tb }.into(), &[a, b], Shape::from(dims), a.dtype())
    }

    /// `tf.matmul(self, b, transpose_a, transpose_b)`: rank >= 2 operands;
    /// batch dims broadcast.
    pub fn matmul_t(&self, b: impl AsTensor, transpose_a: bool, transpose_b: bool) -> Result<Tensor> {
        let b = b.as_tensor();
        let b: &Tensor = &b;
        if self.rank() < 2 || b.rank() < 2 {
            return Err(ndims_error(self, b));
        }
        self.matmul_raw(b, transpose_a, transpose_b)
    }

    /// `self @ b`. Under legacy NumPy behaviour a 1-D operand is promoted
    /// as NumPy does and mixed dtypes are promoted; otherwise TF's rules.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let a = constant([[1.0, 2.0], [3.0, 4.0]])?;
    /// let b = constant([[1.0], [1.0]])?;
    /// assert_eq!(a.matmul(&b)?.to_vec::<f32>()?, vec![3.0, 7.0]);
    /// let e = b.matmul(&b).unwrap_err();
    /// assert_eq!(e.to_string(), "InvalidArgumentError: Matrix size-incompatible: In[0]: [2,1], In[1]: [2,1] [Op:MatMul]");
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn matmul(&self, b: impl AsTensor) -> Result<Tensor> {
        let mode = self.engine().numpy_mode();
        let (mut a, mut b) = (self.clone(), b.as_tensor().into_owned());
        if a.dtype() != b.dtype() {
            if let Some(dt) = promote(mode, a.dtype(), b.dtype())? {
                a = a.cast(dt)?;
                b = b.cast(dt)?;
            }
        }
        if mode == PromotionMode::Legacy && (a.rank() == 1 || b.rank() == 1) && a.rank() >= 1 && b.rank() >= 1 {
            let (va, vb) = (a.rank() == 1, b.rank() == 1);
            let a2 = if va { a.expand_dims(0)? } else { a.clone() };
            let b2 = if vb { b.expand_dims(-1)? } else { b.clone() };
            let mut c = a2.matmul_raw(&b2, false, false)?;
            if vb {
                c = c.squeeze(&[-1])?;
            }
            if va {
                c = c.squeeze(&[if vb { -1 } else { -2 }])?;
            }
            return Ok(c);
        }
        a.matmul_t(&b, false, false)
    }
}

/// `tf.matmul(a, b)`; either may be a tensor or a variable.
///
/// ```
/// # use gradtape_engine::*;
/// let x = constant([[1.0, 2.0]])?;
/// let v = Variable::new([[1.0], [1.0]])?;
/// // tf.matmul(x, v)
/// assert_eq!(matmul(&x, &v)?.to_vec::<f32>()?, vec![3.0]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn matmul(a: impl AsTensor, b: impl AsTensor) -> Result<Tensor> {
    a.as_tensor().matmul(b)
}
