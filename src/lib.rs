#![doc = include_str!("../README.md")]
//!
//! The crates behind this facade: `gradtape-core` (dtypes, shapes, host
//! buffers, errors, formatting) and `gradtape-engine` (the ECS engine, ops,
//! tapes). Everything a user needs is re-exported here and in [`prelude`].

pub use gradtape_core::{broadcast_shapes, half, DType, Element, Error, HostData, Result, Shape};
pub use gradtape_engine::*;

/// `use gradtape::prelude::*;` brings the everyday names into scope.
pub mod prelude {
    pub use gradtape_core::{DType, Error, Result, Shape};
    pub use gradtape_engine::{
        concat, constant, constant_shaped, constant_with, from_slice, matmul, ones, range_from, s, stack, where_,
        zeros, AsTensor, Axes, Device, Engine, GradientOptions, GradientTape, Idx, JacobianOptions, PromotionMode,
        TapeOptions, Tensor, Unconnected, Variable,
    };
}

/// Training and simulation across processes and machines on MPI (feature
/// `mpi`): Horovod's `init`, `allreduce`, `broadcast_variables` and
/// `DistributedGradientTape`. See the README's "Across machines (MPI)".
#[cfg(feature = "mpi")]
pub use gradtape_distributed as distributed;
