//! Reductions over axis lists (`shaders/reduce.comp`).

use super::family;
use crate::DType;

family! {
    /// A reduction, by TF's kernel name.
    pub enum ReduceOp {
        /// `Sum`.
        Sum = 0 => "Sum",
        /// `Prod`.
        Prod = 1 => "Prod",
        /// `Max`.
        Max = 2 => "Max",
        /// `Min`.
        Min = 3 => "Min",
        /// `Mean` (integers truncate). The shader runs it as a sum with a divisor.
        Mean = 4 => "Mean",
    }
}

impl ReduceOp {
    /// Whether the result is exact in every dtype (max and min pick an
    /// element; sums and products round in an order the kernel chooses).
    pub fn is_exact(self) -> bool {
        matches!(self, ReduceOp::Max | ReduceOp::Min)
    }

    /// An interval from which the tests draw `n` values per reduced group
    /// so that the result stays finite and well scaled (a product of many
    /// values stays near 1).
    pub fn domain(self, n: usize) -> (f64, f64) {
        match (self, n > 1000) {
            (ReduceOp::Prod, false) => (0.5, 1.5),
            (ReduceOp::Prod, true) => (0.999, 1.001),
            (_, false) => (-5.0, 5.0),
            (_, true) => (-1.0, 1.0),
        }
    }

    /// The reduction of one group of `dtype` values, folded in float64 (NaN
    /// wins max and min; integer sums and products wrap in the dtype; an
    /// integer mean truncates toward zero): the reference the property
    /// tests hold the kernels to.
    pub fn reference(self, dtype: DType, group: &[f64]) -> f64 {
        let int = !dtype.is_float();
        match self {
            ReduceOp::Sum if int => group.iter().fold(0i64, |a, &x| a.wrapping_add(x as i64)) as f64,
            ReduceOp::Sum => group.iter().sum(),
            ReduceOp::Mean if int => (group.iter().map(|&x| x as i64).sum::<i64>() / group.len() as i64) as f64,
            ReduceOp::Mean => group.iter().sum::<f64>() / group.len() as f64,
            ReduceOp::Max | ReduceOp::Min if group.iter().any(|x| x.is_nan()) => f64::NAN,
            ReduceOp::Max => group.iter().copied().fold(extreme(dtype).0, f64::max),
            ReduceOp::Min => group.iter().copied().fold(extreme(dtype).1, f64::min),
            ReduceOp::Prod if dtype == DType::I32 => group.iter().fold(1i32, |a, &x| a.wrapping_mul(x as i32)) as f64,
            ReduceOp::Prod if int => group.iter().fold(1i64, |a, &x| a.wrapping_mul(x as i64)) as f64,
            ReduceOp::Prod => group.iter().product(),
        }
    }
}

/// The identities of max and min: the dtype's least and greatest values.
fn extreme(dtype: DType) -> (f64, f64) {
    match dtype {
        _ if dtype.is_float() => (f64::NEG_INFINITY, f64::INFINITY),
        DType::I32 => (i32::MIN as f64, i32::MAX as f64),
        _ => (i64::MIN as f64, i64::MAX as f64),
    }
}
