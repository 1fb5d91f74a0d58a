//! The seeded stateful ops: `tf.random.normal`, `uniform`,
//! `truncated_normal` and `shuffle`, with TF's global/op seed pairs.

use gradtape_core::{with_data, DType, Error, HostData, Result, Shape};

use super::{float_only, int_range, normal_data, numel, seeds::kernel_stream, tensor, uniform_float, uniform_int, Bound};
use crate::Tensor;

/// `tf.random.normal(shape, mean, stddev, dtype, seed)`: `seed` is the op
/// seed; with [`set_seed`](super::set_seed) it gives TF's values.
///
/// ```
/// # use gradtape_engine::*;
/// # use gradtape_core::DType;
/// random::set_seed(1234);
/// let a = random::normal(&[3], 0.0, 1.0, DType::F32, None)?;
/// assert_eq!(a.to_vec::<f32>()?, vec![0.8369314, -0.73429775, 1.0402943]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn normal(shape: &[usize], mean: f64, stddev: f64, dtype: DType, seed: Option<i64>) -> Result<Tensor> {
    float_only(dtype, "RandomStandardNormal")?;
    let n = numel(shape, dtype)?;
    let gen = kernel_stream("RandomStandardNormal", dtype, seed, 256 * n as u64);
    Ok(tensor(normal_data(gen, n, dtype, mean, stddev, false), shape))
}

/// `tf.random.truncated_normal(shape, mean, stddev, dtype, seed)`.
pub fn truncated_normal(shape: &[usize], mean: f64, stddev: f64, dtype: DType, seed: Option<i64>) -> Result<Tensor> {
    float_only(dtype, "TruncatedNormal")?;
    let n = numel(shape, dtype)?;
    let gen = kernel_stream("TruncatedNormal", dtype, seed, 256 * n as u64);
    Ok(tensor(normal_data(gen, n, dtype, mean, stddev, true), shape))
}

/// `tf.random.uniform(shape, dtype=dtype, seed=seed)`: floats in `[0, 1)`;
/// an int dtype needs bounds (TF's ValueError), see [`uniform_in`].
pub fn uniform(shape: &[usize], dtype: DType, seed: Option<i64>) -> Result<Tensor> {
    if !dtype.is_float() {
        return Err(Error::Value(format!("Must specify maxval for integer dtype tf.{dtype}")));
    }
    uniform_in(shape, 0.0, 1.0, dtype, seed)
}

/// `tf.random.uniform(shape, minval, maxval, dtype, seed)`.
pub fn uniform_in(
    shape: &[usize],
    minval: impl Into<Bound>,
    maxval: impl Into<Bound>,
    dtype: DType,
    seed: Option<i64>,
) -> Result<Tensor> {
    let (lo, hi) = (minval.into(), maxval.into());
    let n = numel(shape, dtype)?;
    let data = match dtype {
        d if d.is_float() => {
            let gen = kernel_stream("RandomUniform", d, seed, 256 * n as u64);
            uniform_float(gen, n, d, lo.as_f64(), hi.as_f64())
        }
        d if super::random_int(d) => {
            let range = int_range(d, lo, hi, "RandomUniformInt")?;
            let gen = kernel_stream("RandomUniformInt", d, seed, 256 * n as u64);
            uniform_int(gen, n, d, Some(range))
        }
        d => {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'dtype' of {d} is not in the list of allowed values: half, bfloat16, float, double [Op:RandomUniform]"
            )))
        }
    };
    Ok(tensor(data, shape))
}

/// `tf.random.shuffle(x, seed)`: permutes along axis 0, rows moving as units
/// (Fisher-Yates on the stream's 32-bit words).
///
/// ```
/// # use gradtape_engine::*;
/// random::set_seed(5);
/// let s = random::shuffle(&range(10)?, Some(3))?;
/// assert_eq!(s.to_vec::<i32>()?, vec![0, 9, 8, 7, 4, 6, 3, 2, 5, 1]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn shuffle(x: &Tensor, seed: Option<i64>) -> Result<Tensor> {
    if x.rank() == 0 {
        return Err(Error::InvalidArgument("input must be at least 1-D, got shape [] [Op:RandomShuffle]".into()));
    }
    let n = x.dims()[0];
    let data = x.try_data()?;
    if n <= 1 {
        return Ok(Tensor::from_data(x.engine(), (*data).clone(), x.shape().clone()));
    }
    let mut perm: Vec<usize> = (0..n).collect();
    let mut words = kernel_stream("RandomShuffle", x.dtype(), seed, (n as u64 - 1).div_ceil(4)).words();
    for i in 0..n - 1 {
        let j = i + (words.next() as usize) % (n - i);
        perm.swap(i, j);
    }
    let row = x.numel() / n;
    let out = with_data!(&*data, v => {
        let mut o = Vec::with_capacity(v.len());
        for &p in &perm {
            o.extend_from_slice(&v[p * row..(p + 1) * row]);
        }
        HostData::from_vec(o)
    });
    Ok(Tensor::from_data(x.engine(), out, Shape::new(x.dims())))
}
