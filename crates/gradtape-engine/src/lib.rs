//! gradtape-engine: the ECS engine behind gradtape.
//!
//! One [`Engine`] owns one `bevy_ecs::World`. Tensors, variables, tapes and
//! tape entries are entities (see [`components`]). An op call checks shapes
//! and dtypes at once and appends a record to the engine's queue, without
//! the World's lock (its output entity id comes from bevy's concurrent
//! allocator). A flush (a value read, Display, or [`Engine::flush`])
//! materialises the queue into entities in one pass, the dispatch system
//! runs the pending ops in program order, and the cleanup system despawns
//! entities no handle refers to.

#![warn(missing_docs)]

/// The ECS this engine is built on, for inspecting a world or embedding handles in one.
pub use bevy_ecs;

pub mod backend;
pub mod backward;
pub mod components;
pub mod create;
pub mod creation2;
pub mod engine;
pub mod literal;
pub mod math;
pub mod nest;
pub mod node;
pub mod numdiff;
pub mod numpy;
pub mod op;
mod par;
pub mod pool;
pub mod random;
pub mod ops;
pub mod queue;
mod strided;
pub mod systems;
pub mod tape;
pub mod tensor;
pub mod variable;
pub mod walk;
pub mod vulkan;

pub use backward::{Differentiable, Unconnected};
pub use creation2::{eye, identity, linspace, meshgrid, one_hot, range_from, stop_gradient, PadMode};
pub use create::{constant, constant_shaped, constant_with, fill, from_slice, ones, range, zeros};
pub use engine::{device_info, Device, Engine};
pub use literal::{IntoLiteral, Literal, Scalar};
pub use math::NormOrd;
pub use nest::Nest;
pub use numdiff::{d, numeric_gradient};
pub use numpy::{enable_numpy_behavior, PromotionMode};
pub use op::OpKind;
pub use ops::cast::where_;
pub use ops::index::{Idx, IndexArg, IntoIdx};
pub use ops::matmul::matmul;
pub use ops::movement::{concat, stack, ShapeArg};
pub use ops::operators::{IntoOperand, Operand};
pub use ops::reduce::Axes;
pub use tape::{EntryInfo, GradientTape, StopRecordingGuard, TapeGuard};
pub use tensor::Tensor;
pub use variable::{AssignValue, Variable};
