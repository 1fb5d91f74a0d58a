//! TF's dtype conversion modes: a per-engine setting that `engine.rs`
//! stores and `numpy.rs` interprets (and re-exports, as
//! `numpy::PromotionMode`).

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
