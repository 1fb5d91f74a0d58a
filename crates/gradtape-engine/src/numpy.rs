//! `tf.experimental.numpy.experimental_enable_numpy_behavior`: dtype
//! promotion in TF's `legacy`, `all` and `safe` modes (per engine, so that
//! one program's choice does not leak into another engine's tests), and the
//! NumPy methods (`.reshape`, `.T`) TF adds to tensors only in that mode.

use std::sync::atomic::Ordering;

use gradtape_core::{DType, Error, Result};

use crate::ops::movement::ShapeArg;
pub use crate::promotion::PromotionMode;
use crate::{Engine, Tensor};

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

/// The bit of the engine's NumPy setting that holds `prefer_float32`.
const PREFER_F32: u8 = 0x10;

impl Engine {
    /// Turns NumPy behaviour on (or off, with `PromotionMode::Off`) for this engine.
    pub fn enable_numpy_behavior(&self, mode: PromotionMode) {
        self.enable_numpy_behavior_with(false, mode)
    }

    /// `experimental_enable_numpy_behavior(prefer_float32, dtype_conversion_mode)`:
    /// with `prefer_float32`, a Python float in 'legacy' mode is a float32
    /// scalar rather than NumPy's float64 (`bool + 1.5` is float32; `int32 +
    /// 1.5` is still float64, NumPy's `result_type(int32, float32)`).
    ///
    /// ```
    /// # use gradtape_engine::{Engine, PromotionMode};
    /// let e = Engine::cpu();
    /// e.enable_numpy_behavior_with(true, PromotionMode::Legacy);
    /// assert_eq!((&e.constant([true])? + 1.5)?.dtype(), gradtape_core::DType::F32);
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn enable_numpy_behavior_with(&self, prefer_float32: bool, mode: PromotionMode) {
        if matches!(mode, PromotionMode::All | PromotionMode::Safe) {
            log::warn!(
                "UserWarning: enabling the new type promotion must happen at the beginning of the program. Please ensure no TF APIs have been used yet."
            );
        }
        let v = mode as u8 | if prefer_float32 { PREFER_F32 } else { 0 };
        self.0.numpy.store(v, Ordering::Relaxed);
    }

    /// The promotion mode in force.
    pub fn numpy_mode(&self) -> PromotionMode {
        PromotionMode::from_u8(self.0.numpy.load(Ordering::Relaxed) & !PREFER_F32)
    }

    /// Whether `prefer_float32` was asked for.
    pub fn numpy_prefers_float32(&self) -> bool {
        self.0.numpy.load(Ordering::Relaxed) & PREFER_F32 != 0
    }

    /// Whether a value made from Python literals is weak: under 'all' and 'safe'.
    pub(crate) fn literals_are_weak(&self) -> bool {
        matches!(self.numpy_mode(), PromotionMode::All | PromotionMode::Safe)
    }
}

/// `experimental_enable_numpy_behavior(dtype_conversion_mode=mode)` on the default engine.
pub fn enable_numpy_behavior(mode: PromotionMode) {
    Engine::default_engine().enable_numpy_behavior(mode)
}

/// `experimental_enable_numpy_behavior(prefer_float32, dtype_conversion_mode)` on the default engine.
pub fn enable_numpy_behavior_with(prefer_float32: bool, mode: PromotionMode) {
    Engine::default_engine().enable_numpy_behavior_with(prefer_float32, mode)
}

/// A dtype with TF's weak flag, as `flexible_dtypes.py` pairs them.
pub type Flexible = (DType, bool);

/// `flexible_dtypes.result_type` of two operands, left to right: the
/// `_BINARY_DTYPE_RES_HALF` lattice restricted to gradtape's dtypes (Python
/// ints are weak int32, Python floats weak float32). In 'safe' mode the
/// entries TF tags `PromoMode.ALL` are TF's TypeError (no `[Op:...]`: Python
/// raises it before any op).
pub fn promote_flexible(mode: PromotionMode, a: Flexible, b: Flexible) -> Result<Flexible> {
    let (res, only_all) = crate::lattice::lookup(a, b);
    if only_all && mode == PromotionMode::Safe {
        let show = |(d, w): Flexible| format!("(<dtype: '{d}'>, weak={})", if w { "True" } else { "False" });
        return Err(Error::Type(format!(
            "In promotion mode {}, implicit dtype promotion between {} and {} is disallowed. You need to explicitly specify the dtype in your op, or relax your dtype promotion rules (such as from SAFE mode to ALL mode).",
            mode.tf_name(),
            show(a),
            show(b)
        )));
    }
    Ok(res)
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
    // (result, whether only the 'all' table allows it)
    let lattice = crate::lattice::lookup_strong;
    match mode {
        PromotionMode::Off => Ok(None),
        PromotionMode::Legacy => Ok(Some(match (a, b) {
            (Bool, x) | (x, Bool) => x,
            (I32, I64) | (I64, I32) => I64,
            // NumPy's own result for the narrow integers and half floats
            // among themselves is the lattice's; with int32/int64 or
            // float32/float64 present, legacy mode widens to float64 as before.
            _ if a.is_narrow() && b.is_narrow() => lattice(a, b).0,
            _ if a.is_int() && b.is_int() => lattice(a, b).0,
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

    /// flexible_dtypes.py's lattice with weak operands (SEMANTICS_2.md section 9).
    #[test]
    fn weak_lattice() {
        let f = |a, b| promote_flexible(PromotionMode::All, a, b).unwrap();
        assert_eq!(f((I32, true), (I64, false)), (I64, false));
        assert_eq!(f((F32, true), (F64, false)), (F64, false));
        assert_eq!(f((F32, true), (I32, false)), (F64, true));
        assert_eq!(f((I32, false), (F32, true)), (F64, true));
        assert_eq!(f((F32, false), (I32, true)), (F32, false));
        assert_eq!(f((I32, true), (F32, false)), (F32, false));
        assert_eq!(f((I32, true), (F32, true)), (F32, true));
        assert_eq!(f((Bool, false), (I32, true)), (I32, true));
        assert_eq!(f((I32, false), (F32, false)), (F32, false));
        let e = promote_flexible(PromotionMode::Safe, (I32, false), (F32, true)).unwrap_err();
        assert_eq!(e.to_string(), "TypeError: In promotion mode PromoMode.SAFE, implicit dtype promotion between (<dtype: 'int32'>, weak=False) and (<dtype: 'float32'>, weak=True) is disallowed. You need to explicitly specify the dtype in your op, or relax your dtype promotion rules (such as from SAFE mode to ALL mode).");
        assert!(promote_flexible(PromotionMode::Safe, (I32, true), (F32, false)).is_ok());
        assert!(promote_flexible(PromotionMode::Safe, (I64, false), (F64, true)).is_err());
    }

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
