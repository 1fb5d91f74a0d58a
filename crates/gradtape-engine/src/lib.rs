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
//!
//! The modules form layers, each importing only from its own layer and
//! those below it, with no import circle below the top (`tests/layers.rs`
//! checks it from the sources):
//!
//! 1. data: [`op`] (the op vocabulary: `OpKind` and each family's payload
//!    types), [`components`], [`node`], [`queue`], [`pool`], [`block`], ...;
//! 2. kernels (`kernels/`): each op family's host compute, on buffers;
//! 3. backends: [`backend`] (the interface, the CPU backend and its
//!    fusion) and [`vulkan`] (lowering to the device crate);
//! 4. [`systems`]: the flush schedule;
//! 5. [`engine`]: the World, its op queue and schedules;
//! 6. what a user touches: [`Tensor`], [`GradientTape`], each family's
//!    shape rules, gradient rule and methods ([`ops`]), [`math`], [`nn`],
//!    [`Variable`], ... and the constructors of [`Engine`], which add this
//!    layer's backward schedule to the engine's world.

#![warn(missing_docs)]

/// The ECS this engine is built on, for inspecting a world or embedding handles in one.
pub use bevy_ecs;

pub mod as_tensor;
pub mod backend;
pub mod block;
pub mod autodiff;
pub mod backward;
pub mod components;
pub mod create;
pub mod describe;
pub mod creation2;
pub mod einsum;
pub mod engine;
pub mod indexing;
mod kernels;
pub mod linalg;
pub mod literal;
pub mod math;
pub mod nest;
pub mod nn;
pub mod node;
pub mod numdiff;
pub mod numpy;
mod lattice;
pub mod op;
mod open;
pub mod optimizers;
mod par;
pub mod pool;
pub mod random;
pub mod ops;
mod reduce_api;
pub mod slicing;
pub mod tape_options;
pub mod queue;
pub mod rows;
mod reentry;
mod promotion;
mod strided;
pub mod swap_queue;
pub mod systems;
pub mod tape;
pub mod tensor;
pub mod variable;
pub mod variable_ops;
pub mod walk;
#[doc(hidden)]
pub mod literal_macro;
pub mod vulkan;

pub use as_tensor::AsTensor;
pub use backward::{Differentiable, Unconnected};
pub use creation2::{eye, identity, linspace, meshgrid, one_hot, range_from, stop_gradient, PadMode};
pub use create::{constant, constant_shaped, constant_with, fill, from_slice, ones, range, zeros};
pub use engine::{Device, Engine};
pub use open::device_info;
pub use literal::{IntoLiteral, Literal, Scalar};
pub use math::NormOrd;
pub use einsum::einsum;
pub use indexing::{argwhere, boolean_mask, gather, gather_nd, scatter_nd, tensor_scatter_nd, Ix, ScatterMode};
pub use nest::Nest;
pub use numdiff::{d, numeric_gradient};
pub use numpy::{enable_numpy_behavior, enable_numpy_behavior_with, PromotionMode};
pub use op::OpKind;
pub use ops::cast::where_;
pub use ops::index::{Idx, IndexArg, IntoIdx};
pub use ops::matmul::matmul;
pub use ops::movement::{concat, stack, ShapeArg};
pub use ops::operators::{IntoOperand, Operand};
pub use ops::reduce::Axes;
pub use tape::{EntryInfo, GradientTape, StopRecordingGuard, TapeGuard};
pub use tensor::Tensor;
pub use slicing::{s, Slice};
pub use tape_options::{GradientOptions, JacobianOptions, Sources, TapeOptions, Watchable};
pub use variable::{AssignValue, Variable};
pub use variable_ops::UnreadVariable;
