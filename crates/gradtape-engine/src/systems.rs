//! The engine's systems and the flush schedule that runs them, in the sets
//! `Materialize` (queued records become entities), `Plan` (pending ops in
//! program order), `Dispatch` (each backend runs what it takes, see
//! [`crate::backend`]) and `Cleanup` (despawn what no handle refers to).
//! `Plan` is a system over a `Query` of the pending ops' components; the
//! others are exclusive (they spawn, despawn, or run kernels that read any
//! entity), and a test can run any one on a bare `World`.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleLabel, SingleThreadedExecutor};
use bevy_ecs::system::RunSystemOnce;

use crate::components::{DType, Pending, PendingQueue, Shape, Stats, Storage, Tape, TapeEntry, TapeMarks, Watched};
use crate::node::DropQueue;
use crate::backend::cpu::CpuBackend;
use crate::backend::{dispatch_system, Op, Planned};
use crate::pool::BufferPool;
use crate::queue::{OpQueue, Record};

/// Turns queued records into entities, each spawned once with all its
/// components (no later insert moves its row): ops pending, host values
/// computed, tape entries on their tapes.
pub fn materialize(world: &mut World, records: &mut Vec<Record>) {
    if records.is_empty() {
        return;
    }
    // Appended in place: the queue's buffer is kept across flushes.
    let mut pending = std::mem::take(&mut world.resource_mut::<PendingQueue>().0);
    for r in records.drain(..) {
        match r {
            Record::Op { e, kind, inputs, shape, dtype, watched } => {
                let base = (Shape(shape), DType(dtype), Storage::Pending(Pending { kind, inputs }));
                let spawned = if watched.is_empty() {
                    world.spawn_at(e, base).is_ok()
                } else {
                    world.spawn_at(e, (base, Watched(watched.into_iter().collect()))).is_ok()
                };
                assert!(spawned, "internal: a queued op's entity is fresh");
                pending.push(e);
            }
            Record::Value { e, data, shape, watched } => {
                let base = (Shape(shape), DType(data.dtype()), Storage::Host(data));
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
    let mut q = world.resource_mut::<PendingQueue>();
    if q.0.is_empty() {
        q.0 = pending;
    } else {
        q.0.extend(pending);
    }
}

/// The `Materialize` system: the engine's queued records become entities.
pub fn materialize_system(world: &mut World) {
    let queue = world.resource::<Queue>().0.clone();
    let mut records = queue.take();
    if !records.is_empty() {
        if !world.contains_resource::<Planned>() {
            world.init_resource::<Planned>();
        }
        materialize(world, &mut records);
    }
    queue.recycle(records);
}

/// The `Plan` system: a query over the pending ops in program order (the
/// `PendingQueue`); each op moves out of its entity's `Storage`, which stays
/// in its row, into [`Planned`] for the backends' dispatch systems.
pub fn plan_system(mut pending: ResMut<PendingQueue>, mut planned: ResMut<Planned>, mut q: Query<(&mut Storage, &Shape, &DType)>) {
    for e in pending.0.drain(..) {
        let Ok((mut st, d, t)) = q.get_mut(e) else { continue };
        if !matches!(*st, Storage::Pending(_)) {
            continue;
        }
        let Storage::Pending(p) = std::mem::replace(&mut *st, Storage::Empty) else { unreachable!("internal: checked above") };
        planned.0.push(Op { e, kind: p.kind, inputs: p.inputs, shape: d.0.clone(), dtype: t.0 });
    }
}

/// Plans and runs every queued op on the CPU, in program order: the
/// `Plan` and CPU `Dispatch` systems in one, for a bare world.
pub fn dispatch_pending(world: &mut World) {
    if !world.contains_resource::<Planned>() {
        world.init_resource::<Planned>();
    }
    world.run_system_once(plan_system).expect("internal: the plan system's resources are present");
    dispatch_system::<CpuBackend>(world);
}

/// The engine's op queue, as a resource so that `materialize_system` is a plain system.
#[derive(Resource, Clone)]
pub struct Queue(pub Arc<OpQueue>);

/// The stages of a flush, run in this order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlushSet {
    /// Queued records become entities.
    Materialize,
    /// Pending ops are taken in program order.
    Plan,
    /// Each backend runs the ops it takes.
    Dispatch,
    /// Entities no handle refers to are despawned.
    Cleanup,
}

/// The label of the flush schedule.
#[derive(ScheduleLabel, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flush;

/// The flush: one run of this schedule over the engine's world.
pub fn flush_schedule() -> Schedule {
    let mut s = Schedule::new(Flush);
    // The sets are a chain, and each holds one exclusive system (Dispatch
    // one per backend, in order): nothing to run in parallel.
    s.set_executor(SingleThreadedExecutor::new());
    s.configure_sets((FlushSet::Materialize, FlushSet::Plan, FlushSet::Dispatch, FlushSet::Cleanup).chain());
    s.add_systems(materialize_system.in_set(FlushSet::Materialize));
    s.add_systems(plan_system.in_set(FlushSet::Plan));
    #[cfg(feature = "vulkan")]
    s.add_systems(
        (
            dispatch_system::<crate::vulkan::VulkanBackend>.run_if(resource_exists::<crate::vulkan::VulkanBackend>),
            dispatch_system::<CpuBackend>,
        )
            .chain()
            .in_set(FlushSet::Dispatch),
    );
    #[cfg(not(feature = "vulkan"))]
    s.add_systems(dispatch_system::<CpuBackend>.in_set(FlushSet::Dispatch));
    s.add_systems(cleanup_system.in_set(FlushSet::Cleanup));
    s
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
        let mut batch = drops.take();
        if batch.is_empty() {
            drops.recycle(batch);
            drops.0.lock().unwrap_or_else(|e| e.into_inner()).extend(unborn);
            // bevy records every removed component for `RemovedComponents`
            // readers until the trackers are cleared (an App does it each
            // frame); without this a long loop grows by those records.
            world.clear_trackers();
            return;
        }
        let mut n = 0;
        for e in batch.drain(..) {
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
            let worth = world.get::<Storage>(e).is_some_and(|s| matches!(s, Storage::Host(h) if BufferPool::worth_pooling(h)));
            let taken = worth.then(|| world.get_mut::<Storage>(e).map(|mut s| std::mem::replace(&mut *s, Storage::Empty))).flatten();
            if let Some(Storage::Host(data)) = taken {
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
        drops.recycle(batch);
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
