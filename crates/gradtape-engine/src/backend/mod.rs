//! The backend interface. A flush's `Plan` system takes the pending ops out
//! of their entities, in program order, into [`Planned`]; then each
//! backend's dispatch system runs what it takes from there, in the
//! `Dispatch` set: a device backend first (when the world has one), and the
//! CPU last, on whatever is left. One flush path for every backend.

pub mod cpu;

use bevy_ecs::prelude::*;
use gradtape_core::{DType, Shape};
use smallvec::SmallVec;

use crate::node::Node;
use crate::op::OpKind;

/// One planned op, taken out of its entity's `Pending`.
pub struct Op {
    /// The output entity.
    pub e: Entity,
    /// The op.
    pub kind: OpKind,
    /// Its inputs, in the op's order.
    pub inputs: SmallVec<[Node; 2]>,
    /// The output's shape.
    pub shape: Shape,
    /// The output's dtype.
    pub dtype: DType,
}

/// This flush's ops in program order, not yet taken by a backend.
#[derive(Resource, Default)]
pub struct Planned(pub Vec<Op>);

/// A place ops run: it computes every op it is given, in order, and leaves
/// each output's value (or its failure) in the output's entity.
pub trait Backend: Resource {
    /// Runs `ops` (program order) in `world`.
    fn dispatch(world: &mut World, ops: Vec<Op>);
}

/// The `Dispatch` system of backend `B`: it takes every planned op.
pub fn dispatch_system<B: Backend>(world: &mut World) {
    let ops = world.get_resource_mut::<Planned>().map(|mut p| std::mem::take(&mut p.0)).unwrap_or_default();
    if !ops.is_empty() {
        B::dispatch(world, ops);
    }
}
