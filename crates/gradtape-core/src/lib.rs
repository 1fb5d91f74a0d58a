//! gradtape-core: the plain data every other gradtape crate shares.
//!
//! No ECS and no device code lives here: [`DType`], [`Shape`], host buffers
//! ([`HostData`]), the [`Error`] enum with TensorFlow's messages, and the
//! NumPy-compatible formatting behind `Display`.

#![warn(missing_docs)]

mod data;
mod dtype;
mod error;
pub mod format;
mod format_float;
pub mod registry;
mod shape;

pub use data::{Element, HostData};
/// The `half` crate, whose `f16` and `bf16` are the elements of
/// `DType::F16` and `DType::BF16` (`to_vec::<half::f16>()`).
pub use half;
pub use dtype::DType;
pub use error::{Error, Result};
pub use shape::{broadcast_shapes, Shape};
