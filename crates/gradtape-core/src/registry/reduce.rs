//! Reductions over axis lists (`shaders/reduce.comp`).

use super::family;

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
