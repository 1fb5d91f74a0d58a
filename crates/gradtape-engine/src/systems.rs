//! The engine's systems: dispatch (run queued ops in program order) and
//! cleanup (despawn what no handle refers to). Both are exclusive systems,
//! so a test can run either once on a bare `World`.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use smallvec::SmallVec;

use crate::components::{Dims, ElemType, Failed, Pending, PendingQueue, Stats, Storage, Tape, TapeEntry, TapeMarks, Watched};
use crate::node::DropQueue;
use crate::queue::Record;
use gradtape_core::HostData;

use crate::op;
use crate::pool::BufferPool;

/// Turns queued records into entities, each spawned once with all its
/// components (no later insert moves its row): ops pending, host values
/// computed, tape entries on their tapes.
pub fn materialize(world: &mut World, records: Vec<Record>) {
    if records.is_empty() {
        return;
    }
    let mut pending = Vec::new();
    for r in records {
        match r {
            Record::Op { e, kind, inputs, shape, dtype, watched } => {
                let base = (Dims(shape), ElemType(dtype), Pending { kind, inputs });
                let spawned = if watched.is_empty() {
                    world.spawn_at(e, base).is_ok()
                } else {
                    world.spawn_at(e, (base, Watched(watched.into_iter().collect()))).is_ok()
                };
                assert!(spawned, "internal: a queued op's entity is fresh");
                pending.push(e);
            }
            Record::Value { e, data, shape, watched } => {
                let base = (Dims(shape), ElemType(data.dtype()), Storage(data));
                let spawned = if watched.is_empty() {
                    world.spawn_at(e, base).is_ok()
                } else {
                    world.spawn_at(e, (base, Watched(watched.into_iter().collect()))).is_ok()
                };
                assert!(spawned, "internal: a queued value's entity is fresh");
            }
            Record::Entry { tape, kind, inputs, output } => {
                // A tape dropped since it recorded has nothing to add to.
                let Some(seq) = world.get::<Tape>(tape).map(|t| t.entries.len()) else { continue };
                let entry = world.spawn(TapeEntry { tape, seq, kind, inputs, output }).id();
                world.get_mut::<Tape>(tape).expect("internal: checked above").entries.push(entry);
            }
        }
    }
    world.resource_mut::<PendingQueue>().0.extend(pending);
}

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
    // A handle dropped on another thread right after its record was queued
    // there, while this flush had already taken the queue: its entity is
    // spawned by the next flush, and despawned by the cleanup after it.
    let mut unborn = Vec::new();
    loop {
        let batch = drops.take();
        if batch.is_empty() {
            drops.0.lock().unwrap_or_else(|e| e.into_inner()).extend(unborn);
            // bevy records every removed component for `RemovedComponents`
            // readers until the trackers are cleared (an App does it each
            // frame); without this a long loop grows by those records.
            world.clear_trackers();
            return;
        }
        let mut n = 0;
        for e in batch {
            if world.get_entity(e).is_err() {
                unborn.push(e);
                continue;
            }
            if let Some(mut tape) = world.get_mut::<Tape>(e) {
                let entries = std::mem::take(&mut tape.entries);
                let marks = tape.marks.clone();
                tape.variables.clear();
                release_tape(world, e, entries, &marks);
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

/// Despawns a tape's entries and removes its marks.
pub(crate) fn release_tape(world: &mut World, tape: Entity, entries: Vec<Entity>, marks: &TapeMarks) {
    let marked: Vec<Entity> = marks.lock().drain().collect();
    for m in marked {
        if let Some(mut w) = world.get_mut::<Watched>(m) {
            w.0.retain(|t| *t != tape);
        }
    }
    for e in entries {
        world.despawn(e);
    }
}
