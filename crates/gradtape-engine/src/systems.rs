//! The engine's systems and the schedules that run them. A flush is one
//! run of [`flush_schedule`], in the sets `Materialize` (queued records
//! become entities), `Plan` (pending ops in program order), `Dispatch`
//! (each backend runs what it takes, see [`crate::backend`]) and `Cleanup`
//! (what no handle refers to is released, then despawned in one pass).
//!
//! Plan, Dispatch and the release half of Cleanup are systems over
//! queries. Two are exclusive, because they change the World's structure:
//! `materialize_system` spawns each op's output at the entity id its op
//! call took from bevy's concurrent allocator (`spawn_batch` picks its own
//! ids; for tape entries, which no handle names, it measured slower than
//! `spawn` at the usual one entry per flush), and `despawn_system` despawns. Each can run on a bare `World` (tests/ecs.rs).

use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleLabel, SingleThreadedExecutor};
use bevy_ecs::system::{RunSystemOnce, SystemParam, SystemState};

use crate::backend::cpu::cpu_dispatch_system;
use crate::backend::{Op, Planned};
use crate::components::{DType, Pending, PendingQueue, Shape, Stats, Storage, Tape, TapeEntry, TapeMarks, Watched};
use crate::node::DropQueue;
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
                // One `spawn` each: `spawn_batch` cost 1,500 instructions more
                // for the one entry a flush of a recorded op has (callgrind).
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
        // A bare world (a test's) gets what the later systems need.
        if !world.contains_resource::<Planned>() {
            world.init_resource::<Planned>();
            world.init_resource::<Doomed>();
            world.init_resource::<BufferPool>();
            world.init_resource::<crate::components::DeviceFault>();
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
    if !world.contains_resource::<BufferPool>() {
        world.init_resource::<BufferPool>();
    }
    world.run_system_once(plan_system).expect("internal: the plan system's resources are present");
    world.run_system_once(cpu_dispatch_system).expect("internal: the dispatch system's resources are present");
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
    s.add_systems((crate::vulkan::vulkan_dispatch_system, cpu_dispatch_system).chain().in_set(FlushSet::Dispatch));
    #[cfg(not(feature = "vulkan"))]
    s.add_systems(cpu_dispatch_system.in_set(FlushSet::Dispatch));
    s.add_systems((release_system, despawn_system).chain().in_set(FlushSet::Cleanup));
    s
}

/// The label of the collect schedule.
#[derive(ScheduleLabel, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Collect;

/// Materialize and Cleanup without running ops: what `Engine::collect_garbage`
/// and `Engine::entity_count` run.
pub fn collect_schedule() -> Schedule {
    let mut s = Schedule::new(Collect);
    s.set_executor(SingleThreadedExecutor::new());
    s.add_systems((materialize_system, release_system, despawn_system).chain());
    s
}

/// The queue of dropped handles, as a resource so that cleanup is a plain system.
#[derive(Resource, Clone)]
pub struct Drops(pub Arc<DropQueue>);

/// What a release pass found that no handle refers to, for [`despawn_system`].
#[derive(Resource, Default)]
pub struct Doomed {
    /// Entities to despawn: dropped tensors and tapes, and dead tapes' entries.
    pub entities: Vec<Entity>,
    /// Dropped before they were spawned (a handle dropped on another thread
    /// right after its record was queued there, while this flush had already
    /// taken the queue): spawned by the next flush, released by the one after.
    pub unborn: Vec<Entity>,
}

/// The release half of Cleanup, as system parameters: the dropped handles'
/// entities, looked up through queries.
#[derive(SystemParam)]
pub struct Release<'w, 's> {
    drops: Res<'w, Drops>,
    doomed: ResMut<'w, Doomed>,
    rows: Query<'w, 's, (Option<&'static mut Tape>, Option<&'static mut Storage>)>,
    watched: Query<'w, 's, &'static mut Watched>,
    pool: Option<ResMut<'w, BufferPool>>,
}

impl Release<'_, '_> {
    /// Takes the dropped handles: a dead tape's entries are doomed with it and
    /// its marks come off its tensors; a buffer only the entity held goes back
    /// to the pool. Returns whether anything was doomed.
    fn run(&mut self) -> bool {
        let mut batch = self.drops.0.take();
        let found = !batch.is_empty();
        for e in batch.drain(..) {
            let Ok((tape, storage)) = self.rows.get_mut(e) else {
                self.doomed.unborn.push(e);
                continue;
            };
            if let Some(mut tape) = tape {
                self.doomed.entities.append(&mut tape.entries);
                tape.variables.clear();
                let marked: Vec<Entity> = tape.marks.lock().drain().collect();
                for m in marked {
                    if let Ok(mut w) = self.watched.get_mut(m) {
                        w.0.retain(|t| *t != e);
                    }
                }
            }
            // Swapped out in place: taking the component would move the row.
            if let Some(mut s) = storage {
                if matches!(&*s, Storage::Host(h) if BufferPool::worth_pooling(h)) {
                    if let (Storage::Host(data), Some(pool)) = (std::mem::replace(&mut *s, Storage::Empty), self.pool.as_mut()) {
                        if let Ok(data) = Arc::try_unwrap(data) {
                            pool.give(data);
                        }
                    }
                }
            }
            self.doomed.entities.push(e);
        }
        self.drops.0.recycle(batch);
        found
    }
}

/// Cleanup's first system: releases what the dropped handles held (see
/// [`Release`]) and lists their entities in [`Doomed`].
pub fn release_system(mut r: Release) {
    r.run();
}

/// Cleanup's second system: despawns every doomed entity in one pass.
/// Exclusive because despawning changes the World's structure. Despawning
/// drops the references the entities' components held (a tape entry's
/// inputs), so it releases and despawns again until nothing is left.
pub fn despawn_system(world: &mut World, mut release: Local<SystemState<Release<'static, 'static>>>) {
    // Each resource look-up costs about as much as a query's: one each.
    let (mut doomed, unborn) = {
        let mut d = world.resource_mut::<Doomed>();
        (std::mem::take(&mut d.entities), std::mem::take(&mut d.unborn))
    };
    let drops = world.resource::<Drops>().0.clone();
    let mut n = 0;
    loop {
        for e in doomed.drain(..) {
            if world.despawn(e) {
                n += 1;
            }
        }
        if drops.is_empty() {
            break;
        }
        let mut r = release.get_mut(world).expect("internal: the release system's resources are present");
        r.run();
        std::mem::swap(&mut doomed, &mut r.doomed.entities);
    }
    let mut d = world.resource_mut::<Doomed>();
    // Kept for the next pass's list.
    d.entities = doomed;
    // Back on the queue, for the cleanup after their spawn.
    if !unborn.is_empty() || !d.unborn.is_empty() {
        let later = std::mem::take(&mut d.unborn);
        drops.lock().extend(unborn.into_iter().chain(later));
    }
    if n > 0 {
        let pooled = world.get_resource::<BufferPool>().map_or(0, |p| p.pooled_bytes());
        let mut stats = world.resource_mut::<Stats>();
        stats.despawned += n;
        stats.pooled_bytes = pooled;
    }
    // bevy records every removed component for `RemovedComponents`
    // readers until the trackers are cleared (an App does it each
    // frame); without this a long loop grows by those records.
    world.clear_trackers();
}

/// The whole of Cleanup on `world`, for a bare world (the release and
/// despawn systems, run once each).
pub fn cleanup_system(world: &mut World) {
    if !world.contains_resource::<Doomed>() {
        world.init_resource::<Doomed>();
    }
    world.run_system_once(release_system).expect("internal: the release system's resources are present");
    world.run_system_once(despawn_system).expect("internal: the despawn system's resources are present");
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
