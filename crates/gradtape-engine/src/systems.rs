//! The engine's systems: dispatch (run queued ops in program order) and
//! cleanup (despawn what no handle refers to). Both are exclusive systems,
//! so a test can run either once on a bare `World`.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use smallvec::SmallVec;

use crate::components::{Dims, ElemType, Failed, Pending, PendingQueue, Stats, Storage, Tape, Watched};
use crate::node::DropQueue;
use gradtape_core::HostData;

use crate::op;
use crate::pool::BufferPool;

/// Runs every queued op on the CPU, in the order the program issued them.
pub fn dispatch_pending(world: &mut World) {
    #[cfg(feature = "vulkan")]
    if world.contains_resource::<crate::vulkan::VulkanBackend>() {
        return crate::vulkan::dispatch(world);
    }
    let queue = std::mem::take(&mut world.resource_mut::<PendingQueue>().0);
    if queue.is_empty() {
        return;
    }
    let mut ran = 0u64;
    // Moved out and back rather than removed: a resource removal costs as much as a despawn.
    let mut pool = world.get_resource_mut::<BufferPool>().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default();
    for e in queue {
        let Ok(mut ent) = world.get_entity_mut(e) else { continue };
        let Some(pending) = ent.take::<Pending>() else { continue };
        let (shape, dtype) = match (ent.get::<Dims>(), ent.get::<ElemType>()) {
            (Some(d), Some(t)) => (d.0.clone(), t.0),
            _ => continue,
        };
        // An input can lack a value only when a failed device lost it; the
        // op's value is then lost too, and reading it reports the fault.
        let Some(inputs) = pending
            .inputs
            .iter()
            .map(|n| world.get::<Storage>(n.entity()).map(|s| (s.0.clone(), &n.shape)))
            .collect::<Option<SmallVec<[(Arc<_>, &gradtape_core::Shape); 2]>>>()
        else {
            // What a failed op would have fed stays failed, with its error.
            if let Some(f) = pending.inputs.iter().find_map(|n| world.get::<Failed>(n.entity()).cloned()) {
                world.entity_mut(e).insert(f);
            }
            continue;
        };
        let out = op::run_cpu(&pending.kind, &inputs, &shape, dtype, &mut pool);
        drop(inputs);
        world.entity_mut(e).insert(Storage(out));
        ran += 1;
    }
    let pooled = pool.pooled_bytes();
    if let Some(mut p) = world.get_resource_mut::<BufferPool>() {
        *p = pool;
    }
    let mut stats = world.resource_mut::<Stats>();
    stats.flushes += 1;
    stats.dispatched += ran;
    stats.pooled_bytes = pooled;
}

/// A shared empty buffer, swapped into a dying entity's `Storage`.
fn empty_storage() -> Arc<HostData> {
    static EMPTY: std::sync::OnceLock<Arc<HostData>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Arc::new(HostData::F32(Vec::new()))).clone()
}

/// The queue of dropped handles, as a resource so that `cleanup` is a plain system.
#[derive(Resource, Clone)]
pub struct Drops(pub Arc<DropQueue>);

/// Despawns every entity whose last reference was dropped. Despawning drops
/// the references its components held, so this loops until nothing is left.
pub fn cleanup_system(world: &mut World) {
    let drops = world.resource::<Drops>().0.clone();
    cleanup(world, &drops);
}

pub(crate) fn cleanup(world: &mut World, drops: &DropQueue) {
    loop {
        let batch = drops.take();
        if batch.is_empty() {
            // bevy records every removed component for `RemovedComponents`
            // readers until the trackers are cleared (an App does it each
            // frame); without this a long loop grows by those records.
            world.clear_trackers();
            return;
        }
        let mut n = 0;
        for e in batch {
            if let Some(mut tape) = world.get_mut::<Tape>(e) {
                let entries = std::mem::take(&mut tape.entries);
                let marked = std::mem::take(&mut tape.marked);
                tape.variables.clear();
                release_tape(world, e, entries, marked);
            }
            // A buffer only this entity held goes back to the pool.
            // Swapped out in place: taking the component would move the row.
            let worth = world.get::<Storage>(e).is_some_and(|s| BufferPool::worth_pooling(&s.0));
            let taken = worth.then(|| world.get_mut::<Storage>(e).map(|mut s| std::mem::replace(&mut s.0, empty_storage()))).flatten();
            if let Some(data) = taken {
                if let Ok(data) = Arc::try_unwrap(data) {
                    if let Some(mut pool) = world.get_resource_mut::<BufferPool>() {
                        pool.give(data);
                    }
                }
            }
            if world.despawn(e) {
                n += 1;
            }
        }
        let pooled = world.get_resource::<BufferPool>().map_or(0, |p| p.pooled_bytes());
        let mut stats = world.resource_mut::<Stats>();
        stats.despawned += n;
        stats.pooled_bytes = pooled;
    }
}

/// Despawns a tape's entries and removes its `Watched` marks.
pub(crate) fn release_tape(world: &mut World, tape: Entity, entries: Vec<Entity>, marked: Vec<Entity>) {
    for m in marked {
        if let Some(mut w) = world.get_mut::<Watched>(m) {
            w.0.retain(|t| *t != tape);
        }
    }
    for e in entries {
        world.despawn(e);
    }
}
