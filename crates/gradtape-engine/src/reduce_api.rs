//! The reductions' call forms, as TF's keyword arguments would have them:
//! every axis by default, axes when given, `keepdims` only when wanted.
//!
//! | TensorFlow | gradtape |
//! |---|---|
//! | `tf.reduce_sum(t)` | `t.reduce_sum()?` |
//! | `tf.reduce_sum(t, axis=1)` | `t.reduce_sum_axis(1)?` |
//! | `tf.reduce_sum(t, axis=[0, 1])` | `t.reduce_sum_axis([0, 1])?` |
//! | `tf.reduce_sum(t, 1, keepdims=True)` | `t.reduce_sum_with(1, true)?` |
//! | `tf.reduce_sum(t, keepdims=True)` | `t.reduce_sum_with(Axes::All, true)?` |
//!
//! The same three forms exist for `reduce_mean`, `reduce_max`, `reduce_min`
//! and `reduce_prod`. (Rust has no optional arguments, so the axes and the
//! `keepdims` flag are separate names rather than one overloaded method.)
//!
//! ```
//! # use gradtape_engine::*;
//! let t = constant([[1, 2, 3], [4, 5, 6]])?;
//! // tf.reduce_sum(t)                    -> 21
//! assert_eq!(t.reduce_sum()?.scalar::<i32>()?, 21);
//! // tf.reduce_sum(t, axis=0)            -> [5, 7, 9]
//! assert_eq!(t.reduce_sum_axis(0)?.to_vec::<i32>()?, vec![5, 7, 9]);
//! // tf.reduce_max(t, -1, keepdims=True) -> [[3], [6]]
//! let m = t.reduce_max_with(-1, true)?;
//! assert_eq!((m.dims(), m.to_vec::<i32>()?), (&[2, 1][..], vec![3, 6]));
//! // tf.reduce_mean(t) on int32 truncates -> 3
//! assert_eq!(t.reduce_mean()?.scalar::<i32>()?, 3);
//! assert!(t.reduce_sum_axis(2).is_err()); // TF's "Invalid reduction dimension"
//! # Ok::<(), gradtape_core::Error>(())
//! ```

use gradtape_core::Result;

use crate::ops::reduce::{Axes, ReduceOp};
use crate::Tensor;

macro_rules! reductions {
    ($($all:ident, $axis:ident, $with:ident => $op:ident, $tf:literal;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("`", $tf, "(self)`: over every axis.")]
                pub fn $all(&self) -> Result<Tensor> {
                    self.reduce(ReduceOp::$op, Axes::All, false)
                }
                #[doc = concat!("`", $tf, "(self, axis=axes)`; negative axes count from the end.")]
                pub fn $axis(&self, axes: impl Into<Axes>) -> Result<Tensor> {
                    self.reduce(ReduceOp::$op, axes.into(), false)
                }
                #[doc = concat!("`", $tf, "(self, axis=axes, keepdims=keepdims)`; `Axes::All` for `axis=None`.")]
                pub fn $with(&self, axes: impl Into<Axes>, keepdims: bool) -> Result<Tensor> {
                    self.reduce(ReduceOp::$op, axes.into(), keepdims)
                }
            )*
        }
    };
}

reductions! {
    reduce_sum, reduce_sum_axis, reduce_sum_with => Sum, "tf.reduce_sum";
    reduce_mean, reduce_mean_axis, reduce_mean_with => Mean, "tf.reduce_mean";
    reduce_max, reduce_max_axis, reduce_max_with => Max, "tf.reduce_max";
    reduce_min, reduce_min_axis, reduce_min_with => Min, "tf.reduce_min";
    reduce_prod, reduce_prod_axis, reduce_prod_with => Prod, "tf.reduce_prod";
}
