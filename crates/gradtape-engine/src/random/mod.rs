//! Random numbers that reproduce TensorFlow's bit for bit: Philox-4x32-10
//! streams, TF's seed derivation and its float conversions.
//!
//! Values are computed on the host and become constants (no tape records
//! them: TF's random ops have no gradient).
//!
//! ```
//! # use gradtape_engine::*;
//! # use gradtape_core::DType;
//! let u = random::stateless_uniform(&[3], [1, 2], DType::F32)?;
//! assert_eq!(u.dims(), &[3]);
//! // The same seed gives the same numbers.
//! assert_eq!(u.to_vec::<f32>()?, random::stateless_uniform(&[3], [1, 2], DType::F32)?.to_vec::<f32>()?);
//! # Ok::<(), gradtape_core::Error>(())
//! ```

mod generator;
mod philox;
mod seeds;
mod stateful;

use gradtape_core::{DType, Error, HostData, Result, Shape};

use crate::{Engine, Scalar, Tensor};
pub use generator::{create_rng_state, Generator};
use philox::Philox;
pub use seeds::{get_seed, set_seed};
pub use stateful::{normal, shuffle, truncated_normal, uniform, uniform_in};


/// A stateless op's seed: two integers (TF's int32 or int64 tensor of shape `[2]`).
pub trait IntoSeed {
    /// The two seed words, sign-extended to 64 bits, or TF's shape error.
    fn into_seed(self) -> Result<[u64; 2]>;
}

fn seed_shape_error(n: &str) -> Error {
    Error::InvalidArgument(format!("seed must have shape [2], not [{n}] [Op:StatelessRandomGetKeyCounter]"))
}

impl IntoSeed for [i64; 2] {
    fn into_seed(self) -> Result<[u64; 2]> {
        Ok([self[0] as u64, self[1] as u64])
    }
}
impl IntoSeed for [i32; 2] {
    fn into_seed(self) -> Result<[u64; 2]> {
        Ok([self[0] as i64 as u64, self[1] as i64 as u64])
    }
}
impl IntoSeed for &[i64] {
    fn into_seed(self) -> Result<[u64; 2]> {
        match self {
            [a, b] => Ok([*a as u64, *b as u64]),
            _ => Err(seed_shape_error(&self.len().to_string())),
        }
    }
}
impl IntoSeed for &Tensor {
    fn into_seed(self) -> Result<[u64; 2]> {
        if !random_int(self.dtype()) {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'Tseed' of {} is not in the list of allowed values: int32, int64 [Op:StatelessRandomGetKeyCounter]",
                self.dtype()
            )));
        }
        if self.dims() != [2] {
            return Err(seed_shape_error(&self.shape().bracketed().trim_matches(['[', ']']).to_string()));
        }
        let v: Vec<i64> = match &*self.try_data()? {
            HostData::I32(v) => v.iter().map(|&x| x as i64).collect(),
            HostData::I64(v) => v.clone(),
            _ => unreachable!("internal: checked int"),
        };
        v.as_slice().into_seed()
    }
}

/// A lower or upper bound of a uniform draw: a Python int or float.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound(pub Scalar);

macro_rules! bound_from {
    ($($t:ty => $v:ident as $as:ty),*) => {$(
        impl From<$t> for Bound {
            fn from(x: $t) -> Bound {
                Bound(Scalar::$v(x as $as))
            }
        }
    )*};
}
bound_from!(i32 => Int as i64, i64 => Int as i64, f32 => Float as f64, f64 => Float as f64);

impl Bound {
    fn as_f64(self) -> f64 {
        match self.0 {
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
            Scalar::Bool(b) => b as u8 as f64,
        }
    }

    /// The bound as the integer TF converts it to; a float is TF's TypeError.
    fn as_int(self, dtype: DType) -> Result<i64> {
        match self.0 {
            Scalar::Int(i) => Ok(i),
            Scalar::Bool(b) => Ok(b as i64),
            Scalar::Float(f) => Err(Error::Type(format!("Cannot convert {f:?} to EagerTensor of dtype {dtype}"))),
        }
    }
}

fn float_only(dtype: DType, op: &str) -> Result<()> {
    if dtype.is_float() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "Value for attr 'dtype' of {dtype} is not in the list of allowed values: half, bfloat16, float, double [Op:{op}]"
        )))
    }
}

fn numel(shape: &[usize], dtype: DType) -> Result<usize> {
    Shape::new(shape).checked_numel(dtype.size())
}

/// `n` uniforms of a float dtype in [0, 1) times `(max - min)` plus `min`,
/// each step rounded in the dtype as TF's Python wrapper does.
pub(crate) fn uniform_float(gen: Philox, n: usize, dtype: DType, lo: f64, hi: f64) -> HostData {
    match dtype {
        DType::F16 | DType::BF16 => {
            // TF's Uint16ToHalf / Uint16ToGfloat16: the low mantissa bits of
            // one 32-bit word under exponent 0 make [1, 2); minus 1 (exact).
            let f16 = dtype == DType::F16;
            let u = philox::raw_words(gen, n).into_iter().map(|w| {
                let w = w as u16;
                if f16 {
                    half::f16::from_bits((15 << 10) | (w & 0x3ff)).to_f32() - 1.0
                } else {
                    half::bf16::from_bits((127 << 7) | (w & 0x7f)).to_f32() - 1.0
                }
            });
            let v: Vec<f32> = if (lo, hi) == (0.0, 1.0) { u.collect() } else { affine_half(u, hi - lo, lo, dtype) };
            HostData::F32(v).cast(dtype)
        }
        DType::F32 => {
            let (lo, hi) = (lo as f32, hi as f32);
            let v = philox::uniform_f32(gen, n);
            HostData::F32(if (lo, hi) == (0.0, 1.0) { v } else { v.into_iter().map(|r| r * (hi - lo) + lo).collect() })
        }
        _ => {
            let v = philox::uniform_f64(gen, n);
            HostData::F64(if (lo, hi) == (0.0, 1.0) { v } else { v.into_iter().map(|r| r * (hi - lo) + lo).collect() })
        }
    }
}

/// `x * scale + shift` in a half-float dtype, each operation (and the
/// scalars) rounded to it, as TF's Python wrapper's tensor ops are.
fn affine_half(x: impl Iterator<Item = f32>, scale: f64, shift: f64, dtype: DType) -> Vec<f32> {
    let r = |v: f32| -> f32 {
        if dtype == DType::F16 { half::f16::from_f32(v).to_f32() } else { half::bf16::from_f32(v).to_f32() }
    };
    let (s, m) = (r(scale as f32), r(shift as f32));
    x.map(|v| r(r(r(v) * s) + m)).collect()
}

/// The integer dtypes TF's random ops take (int32, int64).
pub(crate) fn random_int(dtype: DType) -> bool {
    matches!(dtype, DType::I32 | DType::I64)
}

/// `n` integers in `[lo, hi)` (`lo + w % (hi - lo)`), or the raw words when unbounded.
pub(crate) fn uniform_int(gen: Philox, n: usize, dtype: DType, range: Option<(i64, i64)>) -> HostData {
    match dtype {
        DType::I32 => {
            let w = philox::raw_words(gen, n);
            HostData::I32(match range {
                None => w.into_iter().map(|x| x as i32).collect(),
                Some((lo, hi)) => {
                    let r = (hi as i32).wrapping_sub(lo as i32) as u32;
                    w.into_iter().map(|x| (lo as i32).wrapping_add((x % r) as i32)).collect()
                }
            })
        }
        _ => {
            let w = philox::raw_words(gen, 2 * n);
            let w = w.chunks(2).map(|c| c[0] as u64 | (c[1] as u64) << 32);
            HostData::I64(match range {
                None => w.map(|x| x as i64).collect(),
                Some((lo, hi)) => {
                    let r = hi.wrapping_sub(lo) as u64;
                    w.map(|x| lo.wrapping_add((x % r) as i64)).collect()
                }
            })
        }
    }
}

/// `n` normals times `stddev` plus `mean`, rounded in the dtype.
pub(crate) fn normal_data(gen: Philox, n: usize, dtype: DType, mean: f64, stddev: f64, truncated: bool) -> HostData {
    match dtype {
        DType::F16 | DType::BF16 => {
            // TF's half normals are float Box-Muller samples rounded to the dtype.
            // (affine_half rounds each sample into the dtype first.)
            let v = if truncated { philox::truncated_normal_f32(gen, n) } else { philox::normal_f32(gen, n) };
            HostData::F32(affine_half(v.into_iter(), stddev, mean, dtype)).cast(dtype)
        }
        DType::F32 => {
            let v = if truncated { philox::truncated_normal_f32(gen, n) } else { philox::normal_f32(gen, n) };
            let (m, s) = (mean as f32, stddev as f32);
            HostData::F32(v.into_iter().map(|x| x * s + m).collect())
        }
        _ => {
            let v = if truncated { philox::truncated_normal_f64(gen, n) } else { philox::normal_f64(gen, n) };
            HostData::F64(v.into_iter().map(|x| x * stddev + mean).collect())
        }
    }
}

/// Checks int bounds as TF's kernels do and gives the range.
pub(crate) fn int_range(dtype: DType, lo: Bound, hi: Bound, op: &str) -> Result<(i64, i64)> {
    let (lo, hi) = (lo.as_int(dtype)?, hi.as_int(dtype)?);
    let (lo, hi) = if dtype == DType::I32 { (lo as i32 as i64, hi as i32 as i64) } else { (lo, hi) };
    if lo >= hi {
        return Err(Error::InvalidArgument(format!("Need minval < maxval, got {lo} >= {hi} [Op:{op}]")));
    }
    Ok((lo, hi))
}

fn engine() -> &'static Engine {
    Engine::default_engine()
}

fn tensor(data: HostData, shape: &[usize]) -> Tensor {
    Tensor::from_data(engine(), data, Shape::new(shape))
}

/// `tf.random.stateless_uniform(shape, seed, dtype=dtype)`: floats in
/// `[0, 1)`; an int dtype gives the raw words over its full range
/// (`minval=maxval=None`).
pub fn stateless_uniform(shape: &[usize], seed: impl IntoSeed, dtype: DType) -> Result<Tensor> {
    let [s0, s1] = seed.into_seed()?;
    let gen = Philox::from_stateless_seed(s0, s1);
    let n = numel(shape, dtype)?;
    let data = match dtype {
        d if d.is_float() => uniform_float(gen, n, d, 0.0, 1.0),
        d if random_int(d) => uniform_int(gen, n, d, None),
        d => return Err(unsupported_uniform(d, "StatelessRandomUniformV2")),
    };
    Ok(tensor(data, shape))
}

fn unsupported_uniform(dtype: DType, op: &str) -> Error {
    Error::InvalidArgument(format!(
        "Value for attr 'dtype' of {dtype} is not in the list of allowed values: half, bfloat16, float, double, int32, int64 [Op:{op}]"
    ))
}

/// `tf.random.stateless_uniform(shape, seed, minval, maxval, dtype)`:
/// floats `u * (maxval - minval) + minval`, ints `minval + w % (maxval - minval)`.
///
/// ```
/// # use gradtape_engine::*;
/// # use gradtape_core::DType;
/// let d = random::stateless_uniform_in(&[8], [1, 2], -5, 7, DType::I32)?;
/// assert_eq!(d.to_vec::<i32>()?, vec![-1, 0, 1, -2, 2, -4, -2, 1]);
/// let e = random::stateless_uniform_in(&[3], [1, 2], 5, 5, DType::I32).unwrap_err();
/// assert!(e.to_string().contains("Need minval < maxval, got 5 >= 5 [Op:StatelessRandomUniformIntV2]"));
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn stateless_uniform_in(
    shape: &[usize],
    seed: impl IntoSeed,
    minval: impl Into<Bound>,
    maxval: impl Into<Bound>,
    dtype: DType,
) -> Result<Tensor> {
    let (lo, hi) = (minval.into(), maxval.into());
    let n = numel(shape, dtype)?;
    let data = match dtype {
        d if d.is_float() => {
            let [s0, s1] = seed.into_seed()?;
            uniform_float(Philox::from_stateless_seed(s0, s1), n, d, lo.as_f64(), hi.as_f64())
        }
        d if random_int(d) => {
            let range = int_range(d, lo, hi, "StatelessRandomUniformIntV2");
            let [s0, s1] = seed.into_seed()?;
            uniform_int(Philox::from_stateless_seed(s0, s1), n, d, Some(range?))
        }
        d => return Err(unsupported_uniform(d, "StatelessRandomUniformV2")),
    };
    Ok(tensor(data, shape))
}

/// `tf.random.stateless_normal(shape, seed, mean, stddev, dtype)` (Box-Muller).
pub fn stateless_normal(shape: &[usize], seed: impl IntoSeed, mean: f64, stddev: f64, dtype: DType) -> Result<Tensor> {
    float_only(dtype, "StatelessRandomNormalV2")?;
    let [s0, s1] = seed.into_seed()?;
    let n = numel(shape, dtype)?;
    Ok(tensor(normal_data(Philox::from_stateless_seed(s0, s1), n, dtype, mean, stddev, false), shape))
}

/// `tf.random.stateless_truncated_normal`: normals with `|x| < 2` before
/// scaling, rejected in TF's order.
pub fn stateless_truncated_normal(
    shape: &[usize],
    seed: impl IntoSeed,
    mean: f64,
    stddev: f64,
    dtype: DType,
) -> Result<Tensor> {
    float_only(dtype, "StatelessTruncatedNormalV2")?;
    let [s0, s1] = seed.into_seed()?;
    let n = numel(shape, dtype)?;
    Ok(tensor(normal_data(Philox::from_stateless_seed(s0, s1), n, dtype, mean, stddev, true), shape))
}

/// `tf.random.stateless_categorical(logits, num_samples, seed, dtype)`:
/// `[batch, num_samples]` class indices drawn from unnormalised log-probabilities
/// `logits` of shape `[batch, num_classes]` (TF's multinomial kernel: one
/// float64 uniform per sample, searched in the running sum of `exp(logit - max)`).
pub fn stateless_categorical(logits: &Tensor, num_samples: usize, seed: impl IntoSeed, dtype: DType) -> Result<Tensor> {
    check_categorical(logits, num_samples, dtype, "StatelessMultinomial")?;
    let (batch, _) = (logits.dims()[0], logits.dims()[1]);
    let [s0, s1] = seed.into_seed()?;
    let out = multinomial(logits, num_samples, Philox::from_stateless_seed(s0, s1))?;
    let data = HostData::I64(out).cast(dtype);
    Ok(Tensor::from_data(logits.engine(), data, Shape::new(&[batch, num_samples])))
}

/// `tf.random.categorical(logits, num_samples, dtype, seed)`: like
/// [`stateless_categorical`] with the global and op seeds of [`set_seed`].
pub fn categorical(logits: &Tensor, num_samples: usize, dtype: DType, seed: Option<i64>) -> Result<Tensor> {
    check_categorical(logits, num_samples, dtype, "Multinomial")?;
    let batch = logits.dims()[0];
    let blocks = (batch * num_samples.div_ceil(4) * 4 * 256) as u64;
    let gen = seeds::kernel_stream("Multinomial", dtype, seed, blocks);
    let out = multinomial(logits, num_samples, gen)?;
    let data = HostData::I64(out).cast(dtype);
    Ok(Tensor::from_data(logits.engine(), data, Shape::new(&[batch, num_samples])))
}

/// TF's multinomial kernel on one stream (one shard): per row the running
/// sum of `exp(logit - max)` over finite logits, searched with one float64
/// uniform per sample.
fn multinomial(logits: &Tensor, num_samples: usize, gen: Philox) -> Result<Vec<i64>> {
    let classes = logits.dims()[1];
    let x = logits.try_data()?.to_f64_vec();
    let mut words = gen.words();
    let mut out = Vec::with_capacity(logits.dims()[0] * num_samples);
    for row in x.chunks(classes.max(1)).take(logits.dims()[0]) {
        let max = row.iter().copied().filter(|v| v.is_finite()).fold(f64::MIN, f64::max);
        let mut total = 0.0;
        let cdf: Vec<f64> = row
            .iter()
            .map(|&v| {
                if v.is_finite() {
                    total += (v - max).exp();
                }
                total
            })
            .collect();
        for _ in 0..num_samples {
            let u = philox::unit_f64(words.next(), words.next()) * total;
            out.push(cdf.partition_point(|&c| c <= u) as i64);
        }
    }
    Ok(out)
}

fn check_categorical(logits: &Tensor, num_samples: usize, dtype: DType, op: &str) -> Result<()> {
    if logits.rank() != 2 {
        return Err(Error::InvalidArgument(format!(
            "logits should be a matrix, got shape {} [Op:{op}]",
            logits.shape().bracketed()
        )));
    }
    if !logits.dtype().is_float() {
        return Err(float_only(logits.dtype(), op).unwrap_err());
    }
    if !random_int(dtype) {
        return Err(Error::InvalidArgument(format!(
            "Value for attr 'output_dtype' of {dtype} is not in the list of allowed values: int32, int64 [Op:{op}]"
        )));
    }
    let (batch, classes) = (logits.dims()[0], logits.dims()[1]);
    if classes == 0 && batch > 0 && num_samples > 0 {
        return Err(Error::InvalidArgument(format!("num_classes should be positive, got 0 [Op:{op}]")));
    }
    Ok(())
}
