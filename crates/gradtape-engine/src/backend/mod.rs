//! The backend interface. A flush's `Plan` system takes the pending ops out
//! of their entities, in program order, into [`Planned`]; then each
//! backend's dispatch system runs what it takes from there, in the
//! `Dispatch` set: a device backend first (when the world has one), and the
//! CPU last, on whatever is left. One flush path for every backend.

pub mod cpu;
pub mod fuse;

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
    /// Runs `ops` (program order) in `world`, and empties `ops`.
    fn dispatch(world: &mut World, ops: &mut Vec<Op>);
}

/// The `Dispatch` system of backend `B`: it takes every planned op. The
/// emptied buffer goes back to [`Planned`], so a steady loop reuses it.
pub fn dispatch_system<B: Backend>(world: &mut World) {
    let Some(mut planned) = world.get_resource_mut::<Planned>() else { return };
    if planned.0.is_empty() {
        return;
    }
    let mut ops = std::mem::take(&mut planned.0);
    B::dispatch(world, &mut ops);
    ops.clear();
    if let Some(mut p) = world.get_resource_mut::<Planned>() {
        if p.0.is_empty() {
            p.0 = ops;
        }
    }
}
