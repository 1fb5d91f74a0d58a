//! The CPU backend: each op's host kernel, in program order, with chains
//! of elementwise ops fused into one blocked pass (see [`super::fuse`]).
//! Device backends run here what they do not offer.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use gradtape_core::Shape;
use smallvec::SmallVec;

use super::fuse::{self, FusePlan, Slot};
use super::{Backend, Op};
use crate::components::{Stats, Storage};
use crate::op;
use crate::pool::BufferPool;

/// The host: always present, it runs whatever no device took.
#[derive(Resource, Default)]
pub struct CpuBackend;

impl Backend for CpuBackend {
    fn dispatch(world: &mut World, ops: &mut Vec<Op>) {
        // Moved out and back rather than removed: a resource removal costs as much as a despawn.
        let mut pool = take_pool(world);
        let (mut ran, mut fused) = (0u64, 0u64);
        let plan = if fuse::worth_planning(ops) { fuse::plan(ops) } else { FusePlan::default() };
        for (i, op) in ops.iter().enumerate() {
            match plan.at.get(i).copied().unwrap_or(Slot::Single) {
                Slot::Single => ran += u64::from(run_on_host(world, op, &mut pool)),
                // Run with the group, at its last member.
                Slot::Member(_) => {}
                Slot::Last(g) => {
                    let g = &plan.groups[g];
                    if fuse::run_group(world, ops, g, &mut pool) {
                        ran += g.members.len() as u64;
                        fused += g.members.len() as u64;
                    } else {
                        for &m in &g.members {
                            ran += u64::from(run_on_host(world, &ops[m], &mut pool));
                        }
                    }
                }
            }
        }
        // The inputs' references go now, so this flush's cleanup sees them.
        ops.clear();
        let pooled = pool.pooled_bytes();
        put_pool(world, pool);
        let mut stats = world.resource_mut::<Stats>();
        stats.flushes += 1;
        stats.dispatched += ran;
        stats.fused += fused;
        stats.pooled_bytes = pooled;
    }
}

/// The engine's buffer pool, moved out of the world for a dispatch.
pub(crate) fn take_pool(world: &mut World) -> BufferPool {
    world.get_resource_mut::<BufferPool>().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default()
}

/// Puts the pool back after [`take_pool`].
pub(crate) fn put_pool(world: &mut World, pool: BufferPool) {
    if let Some(mut p) = world.get_resource_mut::<BufferPool>() {
        *p = pool;
    }
}

/// Runs `op` on the host, its inputs' values being in host `Storage`.
/// Returns whether it ran: an input lost with a failed device (or whose
/// own op failed) leaves the output failed with the same error instead.
pub(crate) fn run_on_host(world: &mut World, op: &Op, pool: &mut BufferPool) -> bool {
    let Some(inputs) = op
        .inputs
        .iter()
        .map(|n| world.get::<Storage>(n.entity()).and_then(|s| s.host()).map(|h| (h.clone(), &n.shape)))
        .collect::<Option<SmallVec<[(Arc<_>, &Shape); 2]>>>()
    else {
        if let Some(f) = op.inputs.iter().find_map(|n| world.get::<Storage>(n.entity()).and_then(|s| s.failed()).cloned()) {
            set(world, op.e, Storage::Failed(f));
        }
        return false;
    };
    let out = op::run_cpu(&op.kind, &inputs, &op.shape, op.dtype, pool);
    drop(inputs);
    set(world, op.e, Storage::Host(out));
    true
}

/// Sets entity `e`'s value: a field write, no archetype move.
pub(crate) fn set(world: &mut World, e: Entity, value: Storage) {
    if let Some(mut s) = world.get_mut::<Storage>(e) {
        *s = value;
    }
}
