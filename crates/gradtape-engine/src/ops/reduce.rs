//! Reductions over axis lists: sum, mean, max, min, prod, with TF's axis
//! rules (negative, empty list, duplicates rejected) and integer mean that
//! truncates toward zero: axis and shape rules, gradients and methods; the
//! kernels are in `kernels/reduce.rs`.

use gradtape_core::{DType, Error, Result, Shape};
use smallvec::{smallvec, SmallVec};

use crate::kernels::reduce::kept_shape;
use crate::op::Reduction;
use crate::Tensor;

/// The family's enum is declared once, in the registry both the engine and
/// the Vulkan device see.
pub use gradtape_core::registry::ReduceOp;

/// Which axes to reduce: all of them (`axis=None`), or a list.
#[derive(Clone, Debug, PartialEq)]
pub enum Axes {
    /// Every axis (`axis=None`).
    All,
    /// These axes; negative ones count from the end.
    List(SmallVec<[i64; 4]>),
}

impl From<i64> for Axes {
    fn from(a: i64) -> Axes {
        Axes::List(smallvec![a])
    }
}
impl From<i32> for Axes {
    fn from(a: i32) -> Axes {
        Axes::List(smallvec![a as i64])
    }
}
impl<const N: usize> From<[i64; N]> for Axes {
    fn from(a: [i64; N]) -> Axes {
        Axes::List(a.iter().copied().collect())
    }
}
impl<const N: usize> From<[i32; N]> for Axes {
    fn from(a: [i32; N]) -> Axes {
        Axes::List(a.iter().map(|&x| x as i64).collect())
    }
}
impl From<&[i64]> for Axes {
    fn from(a: &[i64]) -> Axes {
        Axes::List(a.iter().copied().collect())
    }
}
impl From<Vec<i64>> for Axes {
    fn from(a: Vec<i64>) -> Axes {
        Axes::List(a.into_iter().collect())
    }
}
impl From<Option<i64>> for Axes {
    fn from(a: Option<i64>) -> Axes {
        a.map_or(Axes::All, Axes::from)
    }
}
impl TryFrom<&Tensor> for Axes {
    type Error = Error;
    /// An int32/int64 tensor of axes, as TF accepts.
    fn try_from(t: &Tensor) -> Result<Axes> {
        if !t.dtype().is_int() {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'Tidx' of {} is not in the list of allowed values: int32, int64",
                t.dtype().kernel_name()
            )));
        }
        Ok(Axes::List(t.to_f64_vec().into_iter().map(|x| x as i64).collect()))
    }
}

/// Normalises axes for a rank-`rank` input, with TF's messages.
fn resolve(op: ReduceOp, axes: &Axes, rank: usize) -> Result<SmallVec<[usize; 4]>> {
    let list: SmallVec<[i64; 4]> = match axes {
        Axes::All => (0..rank as i64).collect(),
        Axes::List(l) => l.clone(),
    };
    let mut out: SmallVec<[usize; 4]> = SmallVec::new();
    for &a in &list {
        let r = rank as i64;
        if a < -r || a >= r {
            return Err(Error::InvalidArgument(format!(
                "Invalid reduction dimension ({a} for input with {rank} dimension(s) [Op:{}]",
                op.name()
            )));
        }
        let a = if a < 0 { a + r } else { a } as usize;
        if out.contains(&a) {
            return Err(Error::InvalidArgument(format!(
                "Invalid reduction arguments: Axes contains duplicate dimension: {a} [Op:{}]",
                op.name()
            )));
        }
        out.push(a);
    }
    out.sort_unstable();
    Ok(out)
}

/// Gradients of `y = reduce(x, axes)`; `g` is `batch dims ++ y.shape`.
pub(crate) fn grad(
    op: ReduceOp,
    axes: &[usize],
    _keepdims: bool,
    x: &Tensor,
    y: &Tensor,
    g: &Tensor,
    batch: usize,
) -> Result<SmallVec<[Option<Tensor>; 2]>> {
    let keep = kept_shape(x.shape(), axes);
    let gk = g.reshape_batched(&keep, batch)?;
    let dx = match op {
        ReduceOp::Sum => gk,
        ReduceOp::Mean => {
            let n: usize = axes.iter().map(|&a| x.dims()[a]).product();
            gk.div(&g.scalar_like(n as f64))?
        }
        ReduceOp::Max | ReduceOp::Min => {
            // Ties share the gradient equally, as in TF.
            let yk = y.reshape(&keep)?;
            let mask = x.equal(&yk)?.cast(x.dtype())?;
            let count = mask.reduce_sum_with(Axes::List(axes.iter().map(|&a| a as i64).collect()), true)?;
            gk.mul(&mask.div(&count)?)?
        }
        ReduceOp::Prod => gk.mul(&prod_of_others(x, axes)?)?,
    };
    let mut target: Vec<usize> = g.dims()[..batch].to_vec();
    target.extend_from_slice(x.dims());
    Ok(smallvec![Some(dx.broadcast_to(&target)?)])
}

/// prod over j != i of x_j within each reduced group, from exclusive
/// products taken from both ends as TF's rule does: `y / x` would be NaN
/// where x is 0 and its own derivative wrong there.
fn prod_of_others(x: &Tensor, axes: &[usize]) -> Result<Tensor> {
    if x.numel() == 0 {
        return Ok(x.zeros_like());
    }
    let rank = x.rank();
    let perm: SmallVec<[usize; 4]> = axes.iter().copied().chain((0..rank).filter(|a| !axes.contains(a))).collect();
    let n: usize = axes.iter().map(|&a| x.dims()[a]).product();
    let flat = x.transpose_perm(&perm)?.reshape([n as i64, -1])?;
    let rev = [crate::ops::index::Idx::Range(None, None, -1)];
    let left = exclusive_cumprod(&flat)?;
    let right = exclusive_cumprod(&flat.index(&rev)?)?.index(&rev)?;
    let moved: Vec<usize> = perm.iter().map(|&p| x.dims()[p]).collect();
    let mut inv: SmallVec<[usize; 4]> = smallvec![0; rank];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    left.mul(&right)?.reshape(&Shape::from(moved))?.transpose_perm(&inv)
}

/// `[1, x0, x0 x1, ...]` down axis 0 of a rank-2 `x`, in log2(n) doubling
/// steps made of differentiable ops (so higher orders work).
fn exclusive_cumprod(x: &Tensor) -> Result<Tensor> {
    let (n, m) = (x.dims()[0], x.dims()[1]);
    let ones = |k: usize| x.scalar_like(1.0).broadcast_to(&[k, m]);
    let cat = |a: Tensor, b: Tensor| crate::ops::movement::concat(&[a, b], 0);
    let mut c = if n == 1 { ones(1)? } else { cat(ones(1)?, x.i(..n - 1)?)? };
    let mut s = 1;
    while s < n {
        c = c.mul(&cat(ones(s)?, c.i(..n - s)?)?)?;
        s *= 2;
    }
    Ok(c)
}

impl Tensor {
    /// Applies the reduction primitive `op` over `axes` (TF's checks and
    /// errors; integer means truncate); every `reduce_*` method is this.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// use gradtape_engine::ops::reduce::{Axes, ReduceOp};
    /// let t = constant([[1, 2], [3, 4]])?;
    /// assert_eq!(t.reduce(ReduceOp::Prod, 1.into(), false)?.to_vec::<i32>()?, vec![2, 12]);
    /// assert_eq!(t.reduce(ReduceOp::Max, Axes::All, true)?.dims(), &[1, 1]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn reduce(&self, op: ReduceOp, axes: Axes, keepdims: bool) -> Result<Tensor> {
        if self.dtype() == DType::Bool {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'T' of bool is not in the list of allowed values [Op:{}]",
                op.name()
            )));
        }
        let axes = resolve(op, &axes, self.rank())?;
        let keep = kept_shape(self.shape(), &axes);
        let out = if keepdims {
            keep
        } else {
            Shape::from(self.dims().iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect::<Vec<_>>())
        };
        Tensor::op(Reduction { op, axes, keepdims }.into(), &[self], out, self.dtype())
    }

    /// The sum of every element (`tf.reduce_sum(self)`).
    pub fn sum(&self) -> Result<Tensor> {
        self.reduce(ReduceOp::Sum, Axes::All, false)
    }

    /// Sums a broadcast gradient (`batch dims ++ broadcast shape`) back to
    /// `batch dims ++ target`.
    pub(crate) fn sum_to(&self, target: &Shape, batch: usize) -> Result<Tensor> {
        let r = self.rank() - batch;
        if r == target.rank() && &self.dims()[batch..] == target.dims() {
            return Ok(self.clone());
        }
        let lead = r - target.rank();
        let mut axes: SmallVec<[i64; 4]> = (0..lead).map(|i| (batch + i) as i64).collect();
        for (j, &d) in target.dims().iter().enumerate() {
            if d == 1 && self.dims()[batch + lead + j] != 1 {
                axes.push((batch + lead + j) as i64);
            }
        }
        self.reduce_sum_with(Axes::List(axes), false)?.reshape_batched(target, batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Axes are normalised, sorted, and checked for range and duplicates.
    #[test]
    fn reduction_axes_and_shapes() {
        let r = |a: Axes, rank| resolve(ReduceOp::Sum, &a, rank).map(|v| v.to_vec());
        assert_eq!(r(Axes::All, 3), Ok(vec![0, 1, 2]));
        assert_eq!(r(Axes::from([-1, 0]), 3), Ok(vec![0, 2]));
        assert_eq!(r(Axes::from(Vec::new()), 2), Ok(vec![]));
        assert_eq!(r(Axes::All, 0), Ok(vec![]));
        assert!(r(Axes::from(2), 2).is_err());
        assert!(r(Axes::from(-3), 2).is_err());
        assert!(r(Axes::from([1, -1]), 2).is_err());
        assert_eq!(kept_shape(&Shape::new(&[2, 3, 4]), &[0, 2]), Shape::new(&[1, 3, 1]));
    }
}
