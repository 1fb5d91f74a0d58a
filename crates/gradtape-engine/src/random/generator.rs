//! `tf.random.Generator` with the Philox algorithm: a state of three int64
//! words (counter low, counter high, key) that each draw advances.

use std::sync::Mutex;

use gradtape_core::{DType, Error, Result, Shape};

use super::philox::Philox;
use super::{float_only, int_range, normal_data, numel, tensor, uniform_float, uniform_int, Bound};
use crate::{Engine, Tensor};

/// `tf.random.create_rng_state(seed, 'philox')`: `[s mod 2^64, (s >> 64) mod 2^64, (s >> 128) mod 2^64]`.
pub fn create_rng_state(seed: u128) -> Result<Tensor> {
    Engine::default_engine().from_vec(state_of(seed).iter().map(|&w| w as i64).collect(), &[3])
}

fn state_of(seed: u128) -> [u64; 3] {
    [seed as u64, (seed >> 64) as u64, 0]
}

/// `tf.random.Generator.from_seed(seed)`: draws continue one stream, in
/// TF's order, so a port of TF code gets TF's initial weights.
///
/// ```
/// # use gradtape_engine::*;
/// # use gradtape_core::DType;
/// let g = random::Generator::from_seed(1234);
/// let d = g.uniform_in(&[8], 0, 10, DType::I32)?;
/// assert_eq!(d.to_vec::<i32>()?, vec![9, 6, 4, 9, 7, 1, 8, 2]);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Generator {
    state: Mutex<[u64; 3]>,
}

impl Generator {
    /// `Generator.from_seed(seed, alg='philox')`.
    pub fn from_seed(seed: u128) -> Generator {
        Generator { state: Mutex::new(state_of(seed)) }
    }

    /// `Generator.from_state([counter_lo, counter_hi, key], 'philox')`.
    pub fn from_state(state: [i64; 3]) -> Generator {
        Generator { state: Mutex::new(state.map(|w| w as u64)) }
    }

    /// `generator.state`: the int64 words `[counter_lo, counter_hi, key]`.
    pub fn state(&self) -> Result<Tensor> {
        let s = *self.state.lock().unwrap_or_else(|e| e.into_inner());
        Engine::default_engine().from_vec(s.iter().map(|&w| w as i64).collect(), &[3])
    }

    /// The stream for `n` elements; the counter then moves on by `256 n`.
    fn take(&self, n: usize) -> Philox {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let gen = Philox::new(s[2], s[0], s[1]);
        let mut next = gen;
        next.skip(256 * n as u64);
        let c = next.counter;
        s[0] = c[0] as u64 | (c[1] as u64) << 32;
        s[1] = c[2] as u64 | (c[3] as u64) << 32;
        gen
    }

    /// `generator.normal(shape, mean, stddev, dtype)`.
    pub fn normal(&self, shape: &[usize], mean: f64, stddev: f64, dtype: DType) -> Result<Tensor> {
        float_only(dtype, "StatefulStandardNormalV2")?;
        let n = numel(shape, dtype)?;
        Ok(tensor(normal_data(self.take(n), n, dtype, mean, stddev, false), shape))
    }

    /// `generator.truncated_normal(shape, mean, stddev, dtype)`.
    pub fn truncated_normal(&self, shape: &[usize], mean: f64, stddev: f64, dtype: DType) -> Result<Tensor> {
        float_only(dtype, "StatefulTruncatedNormal")?;
        let n = numel(shape, dtype)?;
        Ok(tensor(normal_data(self.take(n), n, dtype, mean, stddev, true), shape))
    }

    /// `generator.uniform(shape, dtype=dtype)`: floats in `[0, 1)`; an int
    /// dtype needs bounds ([`Generator::uniform_in`]) or [`Generator::uniform_full_int`].
    pub fn uniform(&self, shape: &[usize], dtype: DType) -> Result<Tensor> {
        if !dtype.is_float() {
            return Err(Error::Value(format!("Must specify maxval for integer dtype tf.{dtype}")));
        }
        self.uniform_in(shape, 0.0, 1.0, dtype)
    }

    /// `generator.uniform(shape, minval, maxval, dtype)`.
    pub fn uniform_in(&self, shape: &[usize], minval: impl Into<Bound>, maxval: impl Into<Bound>, dtype: DType) -> Result<Tensor> {
        let (lo, hi) = (minval.into(), maxval.into());
        let n = numel(shape, dtype)?;
        let data = match dtype {
            d if d.is_float() => uniform_float(self.take(n), n, d, lo.as_f64(), hi.as_f64()),
            d if super::random_int(d) => {
                let range = int_range(d, lo, hi, "StatefulUniformInt")?;
                uniform_int(self.take(n), n, d, Some(range))
            }
            d => return Err(Error::InvalidArgument(format!("Unsupported dtype {d} for a uniform draw"))),
        };
        Ok(tensor(data, shape))
    }

    /// `generator.uniform_full_int(shape, dtype)`: the raw words.
    pub fn uniform_full_int(&self, shape: &[usize], dtype: DType) -> Result<Tensor> {
        if !super::random_int(dtype) {
            return Err(Error::InvalidArgument(format!(
                "Value for attr 'dtype' of {dtype} is not in the list of allowed values: int32, int64, uint32, uint64 [Op:StatefulUniformFullInt]"
            )));
        }
        let n = numel(shape, dtype)?;
        Ok(Tensor::from_data(Engine::default_engine(), uniform_int(self.take(n), n, dtype, None), Shape::new(shape)))
    }
}
