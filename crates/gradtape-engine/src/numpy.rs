//! `tf.experimental.numpy.experimental_enable_numpy_behavior`: dtype
//! promotion in TF's `legacy`, `all` and `safe` modes (per engine, so that
//! one program's choice does not leak into another engine's tests), and the
//! NumPy methods (`.reshape`, `.T`) TF adds to tensors only in that mode.

use std::sync::atomic::Ordering;

use gradtape_core::{DType, Error, Result};

use crate::ops::movement::ShapeArg;
use crate::{Engine, Tensor};

/// TF's dtype conversion modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PromotionMode {
    /// NumPy behaviour off: mixed dtypes are an error.
    Off = 0,
    /// NumPy's `result_type` (int32 + float32 gives float64).
    Legacy = 1,
    /// The JAX-like lattice: no widening to float64.
    All = 2,
    /// The lattice, refusing the promotions it marks unsafe.
    Safe = 3,
}

impl PromotionMode {
    fn from_u8(v: u8) -> PromotionMode {
        match v {
            1 => PromotionMode::Legacy,
            2 => PromotionMode::All,
            3 => PromotionMode::Safe,
            _ => PromotionMode::Off,
        }
    }

    fn tf_name(self) -> &'static str {
        match self {
            PromotionMode::Off => "PromoMode.OFF",
            PromotionMode::Legacy => "PromoMode.LEGACY",
            PromotionMode::All => "PromoMode.ALL",
            PromotionMode::Safe => "PromoMode.SAFE",
        }
    }
}

impl Engine {
    /// Turns NumPy behaviour on (or off, with `PromotionMode::Off`) for this engine.
    pub fn enable_numpy_behavior(&self, mode: PromotionMode) {
        self.0.numpy.store(mode as u8, Ordering::Relaxed);
    }

    /// The promotion mode in force.
    pub fn numpy_mode(&self) -> PromotionMode {
        PromotionMode::from_u8(self.0.numpy.load(Ordering::Relaxed))
    }
}

/// `experimental_enable_numpy_behavior(dtype_conversion_mode=mode)` on the default engine.
pub fn enable_numpy_behavior(mode: PromotionMode) {
    Engine::default_engine().enable_numpy_behavior(mode)
}

/// TF raises this from `Tensor.__getattr__` for a NumPy method used while
/// NumPy behaviour is off (the text, odd whitespace included, is TF's).
fn missing_numpy_method(name: &str) -> Error {
    Error::Attribute(format!(
        "EagerTensor object has no attribute '{name}'. \n        If you are looking for numpy-related methods, please run the following:\n        tf.experimental.numpy.experimental_enable_numpy_behavior()\n      "
    ))
}

impl Tensor {
    /// NumPy's `x.reshape(shape)` method (one `-1` inferred). Like TF, it
    /// exists only while the tensor's engine has NumPy behaviour on; without
    /// it this is TF's `AttributeError`. [`Tensor::reshape`] is `tf.reshape`,
    /// which always works.
    ///
    /// ```
    /// # use gradtape_engine::{Engine, PromotionMode};
    /// let e = Engine::cpu();
    /// let x = e.constant([1, 2, 3, 4])?;
    /// assert!(x.np_reshape([2, 2]).is_err());
    /// e.enable_numpy_behavior(PromotionMode::Legacy);
    /// assert_eq!(x.np_reshape([-1, 1])?.dims(), &[4, 1]);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn np_reshape(&self, shape: impl ShapeArg) -> Result<Tensor> {
        if self.engine().numpy_mode() == PromotionMode::Off {
            return Err(missing_numpy_method("reshape"));
        }
        self.reshape(shape)
    }

    /// NumPy's `x.T` (all axes reversed); like [`Tensor::np_reshape`], only
    /// under NumPy behaviour. [`Tensor::t`] is `tf.transpose`, which always works.
    pub fn np_t(&self) -> Result<Tensor> {
        if self.engine().numpy_mode() == PromotionMode::Off {
            return Err(missing_numpy_method("T"));
        }
        self.t()
    }
}

/// The dtype two tensors are both cast to before a binary operator, or
/// `None` when the mode is off and they differ (the op then reports TF's
/// dtype error).
pub fn promote(mode: PromotionMode, a: DType, b: DType) -> Result<Option<DType>> {
    use DType::*;
    if a == b {
        return Ok(Some(a));
    }
    let lattice = |a: DType, b: DType| -> (DType, bool) {
        // (result, whether the 'all' table marks it as unsafe)
        match (a, b) {
            (Bool, x) | (x, Bool) => (x, false),
            (I32, I64) | (I64, I32) => (I64, false),
            (F32, F64) | (F64, F32) => (F64, false),
            (I32, F32) | (F32, I32) | (I64, F32) | (F32, I64) => (F32, true),
            (I32, F64) | (F64, I32) => (F64, false),
            (I64, F64) | (F64, I64) => (F64, true),
            _ => (a, false),
        }
    };
    match mode {
        PromotionMode::Off => Ok(None),
        PromotionMode::Legacy => Ok(Some(match (a, b) {
            (Bool, x) | (x, Bool) => x,
            (I32, I64) | (I64, I32) => I64,
            _ => F64,
        })),
        PromotionMode::All => Ok(Some(lattice(a, b).0)),
        PromotionMode::Safe => {
            let (r, unsafe_) = lattice(a, b);
            if unsafe_ {
                Err(Error::Type(format!(
                    "In promotion mode {}, implicit dtype promotion between (<dtype: '{}'>, weak=False) and (<dtype: '{}'>, weak=False) is disallowed. You need to explicitly specify the dtype in your op, or relax your dtype promotion rules (such as from SAFE mode to ALL mode).",
                    mode.tf_name(), a, b
                )))
            } else {
                Ok(Some(r))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    /// SEMANTICS.md section 6, tensor ⊕ tensor.
    #[test]
    fn promotion_table() {
        let t = |m, a, b| promote(m, a, b).ok().flatten();
        assert_eq!(t(PromotionMode::Legacy, I32, F32), Some(F64));
        assert_eq!(t(PromotionMode::Legacy, I32, I64), Some(I64));
        assert_eq!(t(PromotionMode::All, I32, F32), Some(F32));
        assert_eq!(t(PromotionMode::All, I64, F32), Some(F32));
        assert_eq!(t(PromotionMode::All, I64, F64), Some(F64));
        assert_eq!(t(PromotionMode::Safe, I32, F64), Some(F64));
        assert!(promote(PromotionMode::Safe, I32, F32).is_err());
        assert!(promote(PromotionMode::Safe, I64, F64).is_err());
        assert_eq!(t(PromotionMode::Off, I32, F32), None);
    }
}
