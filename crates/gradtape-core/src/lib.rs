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
pub use dtype::DType;
pub use error::{Error, Result};
pub use shape::{broadcast_shapes, Shape};
