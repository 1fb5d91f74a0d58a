//! `tf.math` beyond the primitives, as composites (their gradients and
//! device support come from the primitives): argmax/argmin, logsumexp,
//! variance and std, any/all, clipping, norms, NaN tests, rsqrt.

use gradtape_core::{DType, Error, HostData, Result, Shape};
use smallvec::SmallVec;

use crate::creation2::dtype_repr;
use crate::ops::operators::IntoOperand;
use crate::{Axes, Tensor};

/// The order of [`Tensor::norm`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NormOrd {
    /// `'euclidean'` / 2 for vectors, `'fro'` for matrices.
    Euclidean,
    /// 1: the abs sum (vectors), the max column abs sum (matrices).
    One,
    /// `np.inf`: the max abs (vectors), the max row abs sum (matrices).
    Inf,
    /// Any other `p >= 1` for vectors: `sum(|x|^p)^(1/p)`.
    P(f64),
}

fn norm_axis(a: i64, rank: usize, op: &str) -> Result<usize> {
    let r = rank as i64;
    if a < -r || a >= r {
        return Err(Error::InvalidArgument(format!(
            "Invalid reduction dimension ({a} for input with {r} dimension(s) [Op:{op}]"
        )));
    }
    Ok(if a < 0 { a + r } else { a } as usize)
}

impl Tensor {
    /// Positions along `axis` as int64, shaped to broadcast against `self`.
    fn iota(&self, axis: usize) -> Result<Tensor> {
        let n = self.dims()[axis];
        let mut dims = vec![1usize; self.rank()];
        dims[axis] = n;
        Ok(Tensor::from_data(self.engine(), HostData::I64((0..n as i64).collect()), Shape::new(&dims)))
    }

    fn arg_extreme(&self, axis: Option<i64>, output_type: DType, max: bool) -> Result<Tensor> {
        let name = if max { "ArgMax" } else { "ArgMin" };
        if self.dtype() == DType::Bool || self.rank() == 0 {
            return Err(Error::InvalidArgument(if self.rank() == 0 {
                format!("Expected dimension in the range [0, 0), but got 0 [Op:{name}]")
            } else {
                format!("Value for attr 'T' of bool is not in the list of allowed values [Op:{name}]")
            }));
        }
        if !matches!(output_type, DType::I32 | DType::I64) {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'output_type' of {output_type} is not in the list of allowed values: int16, uint16, int32, int64 [Op:{name}]"
            )));
        }
        let a = axis.unwrap_or(0);
        let r = self.rank() as i64;
        if a < -r || a >= r {
            return Err(Error::InvalidArgument(format!(
                "Expected dimension in the range [{}, {r}), but got {a} [Op:{name}]",
                -r
            )));
        }
        let a = if a < 0 { a + r } else { a } as usize;
        if self.dims()[a] == 0 {
            return Err(Error::InvalidArgument(format!(
                "Reduction axis {a} is empty in shape {} [Op:{name}]",
                self.shape().bracketed()
            )));
        }
        // The first position holding the extreme (NaN counts as one, as in NumPy).
        let ext = if max { self.reduce_max_with(a as i64, true)? } else { self.reduce_min_with(a as i64, true)? };
        let hit = if self.dtype().is_float() {
            self.equal(&ext)?.logical_or(&self.is_nan()?.logical_and(&ext.is_nan()?)?)?
        } else {
            self.equal(&ext)?
        };
        let n = self.dims()[a] as i64;
        let pos = hit.select(&self.iota(a)?.broadcast_to(self.dims())?, &self.engine().constant_with(n, DType::I64)?)?;
        pos.reduce_min_axis(a as i64)?.cast(output_type)
    }

    /// `tf.argmax(self, axis)`: int64 positions of the maximum; `axis=None`
    /// means axis 0 (not the flattened tensor); ties give the first.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([[1, 5, 3], [4, 2, 6]])?;
    /// assert_eq!(x.argmax(Some(0))?.to_vec::<i64>()?, vec![1, 0, 1]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn argmax(&self, axis: Option<i64>) -> Result<Tensor> {
        self.arg_extreme(axis, DType::I64, true)
    }

    /// `tf.argmax(self, axis, output_type)`.
    pub fn argmax_as(&self, axis: Option<i64>, output_type: DType) -> Result<Tensor> {
        self.arg_extreme(axis, output_type, true)
    }

    /// `tf.argmin(self, axis)`: like [`Tensor::argmax`] for the minimum.
    pub fn argmin(&self, axis: Option<i64>) -> Result<Tensor> {
        self.arg_extreme(axis, DType::I64, false)
    }

    /// `tf.argmin(self, axis, output_type)`.
    pub fn argmin_as(&self, axis: Option<i64>, output_type: DType) -> Result<Tensor> {
        self.arg_extreme(axis, output_type, false)
    }

    /// `tf.reduce_logsumexp`: `log(sum(exp(x - m))) + m` with `m` the
    /// (finite) max, so `[1000, 1000]` gives 1000.6931 and all `-inf` gives `-inf`.
    pub fn reduce_logsumexp(&self, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
        let axes = axes.into();
        let raw_max = self.reduce_max_with(axes.clone(), true)?;
        let my_max = raw_max.is_finite()?.select(&raw_max, &raw_max.zeros_like())?.stop_gradient()?;
        let lse = self.sub(&my_max)?.exp()?.reduce_sum_with(axes.clone(), true)?.log()?.add(&my_max)?;
        if keepdims {
            Ok(lse)
        } else {
            let dims = self.reduce_sum_axis(axes)?.dims().to_vec();
            lse.reshape(&Shape::new(&dims))
        }
    }

    fn float_stat(&self) -> Result<()> {
        if self.dtype().is_float() {
            Ok(())
        } else {
            let kind = if self.dtype() == DType::Bool { "bool" } else { "integer" };
            Err(Error::Type(format!(
                "Input must be either real or complex. Received {kind} type {}.",
                dtype_repr(self.dtype())
            )))
        }
    }

    /// `tf.math.reduce_variance`: the population variance (divides by N).
    pub fn reduce_variance(&self, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
        self.float_stat()?;
        let axes = axes.into();
        let mean = crate::nn::mean_by_division(self, axes.clone())?;
        let var = crate::nn::mean_by_division(&self.sub(&mean)?.square()?, axes.clone())?;
        if keepdims {
            return Ok(var);
        }
        let dims = self.reduce_sum_axis(axes)?.dims().to_vec();
        var.reshape(&Shape::new(&dims))
    }

    /// `tf.math.reduce_std`: the square root of [`Tensor::reduce_variance`].
    pub fn reduce_std(&self, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
        self.reduce_variance(axes, keepdims)?.sqrt()
    }

    fn bool_only(&self, op: &str) -> Result<()> {
        if self.dtype() == DType::Bool {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "cannot compute {op} as input #0(zero-based) was expected to be a bool tensor but is a {} tensor [Op:{op}]",
                self.dtype().kernel_name()
            )))
        }
    }

    /// `tf.reduce_any` of a bool tensor (false over an empty axis).
    pub fn reduce_any(&self, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
        self.bool_only("Any")?;
        self.cast(DType::I64)?.reduce_sum_with(axes, keepdims)?.not_equal(0)
    }

    /// `tf.reduce_all` of a bool tensor (true over an empty axis).
    pub fn reduce_all(&self, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
        self.bool_only("All")?;
        self.cast(DType::I64)?.reduce_prod_with(axes, keepdims)?.not_equal(0)
    }

    /// `tf.logical_not`.
    pub fn logical_not(&self) -> Result<Tensor> {
        self.bool_only("LogicalNot")?;
        self.equal(&self.engine().constant(false)?)
    }

    /// `tf.logical_and` with broadcasting.
    pub fn logical_and(&self, other: &Tensor) -> Result<Tensor> {
        self.bool_only("LogicalAnd")?;
        other.bool_only("LogicalAnd")?;
        self.select(other, &self.engine().constant(false)?)
    }

    /// `tf.logical_or` with broadcasting.
    pub fn logical_or(&self, other: &Tensor) -> Result<Tensor> {
        self.bool_only("LogicalOr")?;
        other.bool_only("LogicalOr")?;
        self.select(&self.engine().constant(true)?, other)
    }

    /// `tf.math.is_nan`.
    pub fn is_nan(&self) -> Result<Tensor> {
        self.float_test("IsNan")?;
        self.not_equal(self)
    }

    /// `tf.math.is_inf`.
    pub fn is_inf(&self) -> Result<Tensor> {
        self.float_test("IsInf")?;
        self.abs()?.equal(f64::INFINITY)
    }

    /// `tf.math.is_finite`.
    pub fn is_finite(&self) -> Result<Tensor> {
        self.float_test("IsFinite")?;
        self.sub(self)?.equal(0.0)
    }

    fn float_test(&self, op: &str) -> Result<()> {
        if self.dtype().is_float() {
            return Ok(());
        }
        Err(Error::InvalidArgument(format!(
            "Value for attr 'T' of {} is not in the list of allowed values: bfloat16, half, float, double [Op:{op}]",
            self.dtype()
        )))
    }

    /// `tf.math.rsqrt`: `1 / sqrt(x)` (`rsqrt(0) = inf`).
    pub fn rsqrt(&self) -> Result<Tensor> {
        self.float_test("Rsqrt")?;
        self.ones_like().div(&self.sqrt()?)
    }

    /// `tf.clip_by_value(self, lo, hi)`: `maximum(minimum(x, hi), lo)` with
    /// broadcast bounds; NaN stays NaN; the gradient is 1 where `lo <= x <= hi`.
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([[1, 5], [9, -3]])?;
    /// assert_eq!(x.clip_by_value(&constant([0, 2])?, 4)?.to_vec::<i32>()?, vec![1, 4, 4, 2]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn clip_by_value<'a, 'b>(&self, lo: impl IntoOperand<'a>, hi: impl IntoOperand<'b>) -> Result<Tensor> {
        self.minimum(hi)?.maximum(lo)
    }

    /// `tf.clip_by_norm(self, clip_norm, axes)`: `x * c / max(‖x‖, c)` with the
    /// L2 norm over `axes` (all when `Axes::All`); a zero vector stays zero.
    pub fn clip_by_norm(&self, clip_norm: f64, axes: impl Into<Axes>) -> Result<Tensor> {
        let l2sum = self.mul(self)?.reduce_sum_with(axes, true)?;
        let pred = l2sum.greater(0.0)?;
        let safe = pred.select(&l2sum, &l2sum.ones_like())?;
        let l2norm = pred.select(&safe.sqrt()?, &l2sum)?;
        let c = self.engine().constant_with(clip_norm, self.dtype())?;
        self.mul(&c)?.div(&l2norm.maximum(&c)?)
    }

    /// `tf.norm(self, ord, axis, keepdims)`: a vector norm along one axis (or
    /// over everything with `axis = None`), or a matrix norm over two axes
    /// (`Euclidean` = 'fro', `One`, `Inf`).
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let x = constant([[1.0, -2.0], [3.0, 4.0]])?;
    /// assert_eq!(x.norm(NormOrd::One, Some(&[0, 1]), false)?.scalar::<f32>()?, 6.0);
    /// assert_eq!(x.norm(NormOrd::Inf, Some(&[1]), false)?.to_vec::<f32>()?, vec![2.0, 4.0]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn norm(&self, ord: NormOrd, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'T' of {} is not in the list of allowed values: bfloat16, half, float, double, complex64, complex128 [Op:Sqrt]",
                self.dtype()
            )));
        }
        let out = match axis {
            Some([a, b]) => {
                let (a, b) = (norm_axis(*a, self.rank(), "Sum")?, norm_axis(*b, self.rank(), "Sum")?);
                if a == b {
                    return Err(Error::Value(format!("'axis' must contain 2 unique indices, got [{a}, {b}]")));
                }
                let (a, b) = (a as i64, b as i64);
                match ord {
                    NormOrd::Euclidean => self.mul(self)?.reduce_sum_with([a, b], true)?.sqrt()?,
                    NormOrd::One => self.abs()?.reduce_sum_with(a, true)?.reduce_max_with(b, true)?,
                    NormOrd::Inf => self.abs()?.reduce_sum_with(b, true)?.reduce_max_with(a, true)?,
                    NormOrd::P(p) => {
                        return Err(Error::Value(format!(
                            "'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, 2, inf], got {p}"
                        )))
                    }
                }
            }
            Some([a]) => {
                norm_axis(*a, self.rank(), "Sum")?;
                self.vector_norm(ord, Axes::from(*a))?
            }
            None => self.vector_norm(ord, Axes::All)?,
            Some(more) => {
                return Err(Error::Value(format!(
                    "'axis' must be None, an integer, or a tuple of 2 unique integers, got {more:?}"
                )))
            }
        };
        if keepdims {
            return Ok(out);
        }
        let drop: SmallVec<[i64; 4]> = match axis {
            None => (0..self.rank() as i64).collect(),
            Some(ax) => ax.iter().map(|&a| if a < 0 { a + self.rank() as i64 } else { a }).collect(),
        };
        let dims: Vec<usize> =
            (0..self.rank()).filter(|i| !drop.contains(&(*i as i64))).map(|i| self.dims()[i]).collect();
        out.reshape(&Shape::new(&dims))
    }

    fn vector_norm(&self, ord: NormOrd, axes: Axes) -> Result<Tensor> {
        match ord {
            NormOrd::Euclidean => self.mul(self)?.reduce_sum_with(axes, true)?.sqrt(),
            NormOrd::One => self.abs()?.reduce_sum_with(axes, true),
            NormOrd::Inf => self.abs()?.reduce_max_with(axes, true),
            NormOrd::P(p) if p == 2.0 => self.vector_norm(NormOrd::Euclidean, axes),
            NormOrd::P(p) if p == 1.0 => self.vector_norm(NormOrd::One, axes),
            NormOrd::P(p) if p == f64::INFINITY => self.vector_norm(NormOrd::Inf, axes),
            NormOrd::P(p) if p > 0.0 => self.abs()?.pow(p)?.reduce_sum_with(axes, true)?.pow(1.0 / p),
            NormOrd::P(p) => Err(Error::Value(format!(
                "'ord' must be a supported vector norm, got {p}"
            ))),
        }
    }
}
