//! The engine's systems and the schedules that run them. A flush is one
//! run of [`flush_schedule`], in the sets `Materialize` (queued records
//! become entities), `Plan` (pending ops in program order), `Dispatch`
//! (each backend runs what it takes, see [`crate::backend`]) and `Cleanup`
//! (what no handle refers to is released, then retired or despawned in one
//! pass).
//!
//! Plan and Dispatch are systems over queries. Materialize and Cleanup are
//! exclusive, because they change the World's structure: `materialize_system`
//! spawns each op's output at the entity id its op call took from bevy's
//! concurrent allocator, or rewrites a retired row in place (see
//! [`crate::rows`]); `cleanup_system` runs its [`Release`] queries, then
//! despawns. All of them share one resource, [`FlushState`]. Each can run on a
//! bare `World` (tests/ecs.rs, tests/ecs_systems.rs).

use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleLabel, SingleThreadedExecutor};
use bevy_ecs::system::{RunSystemOnce, SystemParam, SystemState};
use smallvec::SmallVec;

use crate::backend::cpu::cpu_dispatch_system;
use crate::backend::{FlushState, Op};
use crate::components::{DType, Pending, Shape, Storage, Tape, TapeEntry, TapeMarks, VariableTag, Watched};
use crate::pool::BufferPool;
use crate::queue::Record;

/// Turns queued records into entities, each placed once with all its
/// components (no later insert moves its row): ops pending, host values
/// computed, tape entries on their tapes.
/// `rows` finds retired rows to rewrite; ops go on `pending`, in order.
/// Returns how many retired rows it rewrote.
fn materialize(world: &mut World, rows: &mut QueryState<TensorRow>, records: &mut Vec<Record>, pending: &mut Vec<Entity>) -> usize {
    let mut reused = 0;
    // Each tape's new entries, appended to it once at the end: a look-up of
    // the tape per entry cost two entity look-ups per recorded op.
    let mut added: SmallVec<[(Entity, usize, Vec<Entity>); 1]> = SmallVec::new();
    for r in records.drain(..) {
        match r {
            Record::Op { e, kind, inputs, shape, dtype, watched } => {
                reused += usize::from(place(world, rows, e, Shape(shape), DType(dtype), Storage::Pending(Pending { kind, inputs }), watched));
                pending.push(e);
            }
            Record::Value { e, data, shape, watched } => {
                let dtype = DType(data.dtype());
                reused += usize::from(place(world, rows, e, Shape(shape), dtype, Storage::Host(data), watched));
            }
            Record::Entry { tape, kind, inputs, output } => {
                let i = match added.iter().position(|(t, ..)| *t == tape) {
                    Some(i) => i,
                    None => {
                        // A tape dropped since it recorded has nothing to add to.
                        let Some(len) = world.get::<Tape>(tape).map(|t| t.entries.len()) else { continue };
                        added.push((tape, len, Vec::new()));
                        added.len() - 1
                    }
                };
                let seq = added[i].1 + added[i].2.len();
                // One `spawn` each: `spawn_batch` cost 1,500 instructions more
                // for the one entry a flush of a recorded op has (callgrind).
                let entry = world.spawn(TapeEntry { tape, seq, kind, inputs, output }).id();
                added[i].2.push(entry);
            }
        }
    }
    for (tape, _, entries) in added {
        world.get_mut::<Tape>(tape).expect("internal: checked when its first entry came").entries.extend(entries);
    }
    reused
}

/// Puts a queued tensor in the World at `e`: a fresh id is spawned with all
/// its components; a retired row's id (see [`crate::rows`]) has them
/// rewritten in place through `rows`, so its table row stays where it is.
/// Returns whether the row was a retired one.
fn place(
    world: &mut World,
    rows: &mut QueryState<TensorRow>,
    e: Entity,
    shape: Shape,
    dtype: DType,
    storage: Storage,
    watched: SmallVec<[Entity; 1]>,
) -> bool {
    if let Ok((mut s, mut d, mut st, w)) = rows.get_mut(world, e) {
        assert!(matches!(*st, Storage::Free), "internal: a queued tensor's live row is a retired one");
        (*s, *d, *st) = (shape, dtype, storage);
        // A row that was on a tape keeps its (emptied) `Watched`, rewritten
        // here; an insert would go through bevy's bundle machinery.
        match (w, watched.is_empty()) {
            (Some(mut w), _) => w.0 = watched.into_iter().collect(),
            (None, false) => {
                world.entity_mut(e).insert(Watched(watched.into_iter().collect()));
            }
            (None, true) => {}
        }
        return true;
    }
    let base = (shape, dtype, storage);
    let spawned = if watched.is_empty() { world.spawn_at(e, base).is_ok() } else { world.spawn_at(e, (base, Watched(watched.into_iter().collect()))).is_ok() };
    assert!(spawned, "internal: a queued tensor's entity is fresh");
    false
}

/// A tensor row's components, to rewrite a retired one in place.
pub type TensorRow = (&'static mut Shape, &'static mut DType, &'static mut Storage, Option<&'static mut Watched>);

/// Materializes the engine's queued records (ops pending, host values,
/// tape entries on their tapes, retired rows rewritten in place): the
/// state is looked up once each way, its buffers moving out and back. A
/// world without the state has no op queue, so nothing to materialize.
/// `Engine::materialize_locked` runs it outside a schedule.
pub fn materialize_queued(world: &mut World, rows: &mut QueryState<TensorRow>) {
    let (mut records, mut pending) = {
        let Some(mut st) = world.get_resource_mut::<FlushState>() else { return };
        let mut records = std::mem::take(&mut st.spare_records);
        st.queue.take_into(&mut records);
        if records.is_empty() {
            st.spare_records = records;
            return;
        }
        (records, std::mem::take(&mut st.pending))
    };
    let reused = materialize(world, rows, &mut records, &mut pending);
    let mut st = world.resource_mut::<FlushState>();
    (st.spare_records, st.pending) = (records, pending);
    st.retired -= reused;
}

/// The `Materialize` system: the engine's queued records become entities.
pub fn materialize_system(world: &mut World, mut rows: Local<QueryState<TensorRow>>) {
    materialize_queued(world, &mut rows);
}

/// The `Plan` system: a query over the pending ops in program order
/// ([`FlushState::pending`]); each op moves out of its entity's `Storage`,
/// which stays in its row, into [`FlushState::planned`] for the backends'
/// dispatch systems.
pub fn plan_system(mut state: ResMut<FlushState>, mut q: Query<(&mut Storage, &Shape, &DType)>) {
    let st = &mut *state;
    for e in st.pending.drain(..) {
        let Ok((mut s, d, t)) = q.get_mut(e) else { continue };
        if !matches!(*s, Storage::Pending(_)) {
            continue;
        }
        let Storage::Pending(p) = std::mem::replace(&mut *s, Storage::Empty) else { unreachable!("internal: checked above") };
        st.planned.push(Op { e, kind: p.kind, inputs: p.inputs, shape: d.0.clone(), dtype: t.0 });
    }
}

/// Plans and runs every queued op on the CPU, in program order: the
/// `Plan` and CPU `Dispatch` systems in one, for a bare world.
pub fn dispatch_pending(world: &mut World) {
    if !world.contains_resource::<FlushState>() {
        world.init_resource::<FlushState>();
    }
    world.run_system_once(plan_system).expect("internal: the plan system's resources are present");
    world.run_system_once(cpu_dispatch_system).expect("internal: the dispatch system's resources are present");
}

/// The stages of a flush, run in this order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlushSet {
    /// Queued records become entities.
    Materialize,
    /// Pending ops are taken in program order.
    Plan,
    /// Each backend runs the ops it takes.
    Dispatch,
    /// Entities no handle refers to are retired or despawned.
    Cleanup,
}

/// The label of the flush schedule.
#[derive(ScheduleLabel, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flush;

/// The flush: one run of this schedule over the engine's world.
pub fn flush_schedule() -> Schedule {
    let mut s = Schedule::new(Flush);
    // The sets are a chain, and each holds one system (Dispatch one per
    // backend, in order): nothing to run in parallel.
    s.set_executor(SingleThreadedExecutor::new());
    s.configure_sets((FlushSet::Materialize, FlushSet::Plan, FlushSet::Dispatch, FlushSet::Cleanup).chain());
    s.add_systems(materialize_system.in_set(FlushSet::Materialize));
    s.add_systems(plan_system.in_set(FlushSet::Plan));
    #[cfg(feature = "vulkan")]
    s.add_systems((crate::vulkan::vulkan_dispatch_system, cpu_dispatch_system).chain().in_set(FlushSet::Dispatch));
    #[cfg(not(feature = "vulkan"))]
    s.add_systems(cpu_dispatch_system.in_set(FlushSet::Dispatch));
    s.add_systems(cleanup_system.in_set(FlushSet::Cleanup));
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
    s.add_systems((materialize_system, cleanup_system).chain());
    s
}

/// Cleanup's queries: the dropped handles' entities, looked up once each.
#[derive(SystemParam)]
pub struct Release<'w, 's> {
    state: ResMut<'w, FlushState>,
    rows: Query<'w, 's, Row>,
}

/// What cleanup reads of a dropped handle's entity.
type Row = (Option<&'static mut Tape>, Option<&'static mut Storage>, Option<&'static mut Watched>, Has<VariableTag>);

impl Release<'_, '_> {
    /// Takes the dropped handles: a dead tape's entries are doomed with it
    /// and its marks come off its tensors; a buffer only the entity held
    /// goes back to the pool; a tensor's row is taken off the tapes it was
    /// on and retired for reuse; anything else doomed. Returns whether any
    /// handle was taken.
    fn run(&mut self) -> bool {
        let mut batch = std::mem::take(&mut self.state.spare_drops);
        self.state.drops.take_into(&mut batch);
        let found = !batch.is_empty();
        for e in batch.drain(..) {
            self.release(e);
        }
        self.state.spare_drops = batch;
        found
    }

    fn release(&mut self, e: Entity) {
        let st = &mut *self.state;
        let Ok((tape, storage, watched, variable)) = self.rows.get_mut(e) else {
            st.unborn.push(e);
            return;
        };
        // A retired row whose id a new op call took: its record is not
        // materialized yet, so it is released once it is.
        if matches!(storage.as_deref(), Some(Storage::Free)) {
            st.unborn.push(e);
            return;
        }
        if let Some(mut tape) = tape {
            st.doomed.append(&mut tape.entries);
            tape.variables.clear();
            st.doomed.push(e);
            let marks = tape.marks.clone();
            unmark(&mut self.rows, &marks, e);
            return;
        }
        let Some(mut s) = storage else {
            st.doomed.push(e);
            return;
        };
        // Swapped out in place: taking the component would move the row.
        if matches!(&*s, Storage::Host(h) if BufferPool::worth_pooling(h)) {
            if let Storage::Host(data) = std::mem::replace(&mut *s, Storage::Empty) {
                if let Ok(data) = Arc::try_unwrap(data) {
                    st.pool.give(data);
                }
            }
        }
        // A variable's row is despawned, so that no id an optimizer's slots
        // remember is reused; a pending one (a collect without dispatch) is
        // still listed in `pending`.
        let Some(free) = st.rows.as_ref().filter(|_| !variable && !matches!(&*s, Storage::Pending(_))) else {
            st.doomed.push(e);
            return;
        };
        *s = Storage::Free;
        let tapes = watched.map(|mut w| std::mem::take(&mut w.0)).unwrap_or_default();
        // Off its tapes' marks before its id can be taken again, so that a
        // tape does not take the next tensor at this id for this one.
        for t in tapes {
            if let Ok((Some(tape), ..)) = self.rows.get(t) {
                tape.marks.lock().remove(&e);
            }
        }
        if free.give(e) {
            st.retired += 1;
        } else {
            // The list is full: despawned after all.
            st.doomed.push(e);
        }
    }
}

/// The `Cleanup` system: releases what the dropped handles held (see
/// [`Release`]), then despawns every doomed entity in one pass. Exclusive
/// because despawning changes the World's structure. Despawning drops the
/// references the entities' components held (a tape entry's inputs), so it
/// releases and despawns again until nothing is left. It needs the
/// [`FlushState`] resource (a bare world's test inserts it).
pub fn cleanup_system(world: &mut World, mut release: Local<SystemState<Release<'static, 'static>>>) {
    // One fetch of the state unless something is despawned (then one more
    // per round): each costs about as much as a small op's kernel.
    let mut r = release.get_mut(world).expect("internal: cleanup runs on a world with a FlushState");
    if !r.run() {
        return;
    }
    let mut n = 0;
    loop {
        let mut doomed = std::mem::take(&mut r.state.doomed);
        if doomed.is_empty() {
            r.state.doomed = doomed;
            break;
        }
        for e in doomed.drain(..) {
            if world.despawn(e) {
                n += 1;
            }
        }
        r = release.get_mut(world).expect("internal: cleanup runs on a world with a FlushState");
        // Kept for the next pass's list.
        r.state.doomed = doomed;
        // What the despawned components held (a tape entry's inputs).
        r.run();
    }
    let st = &mut *r.state;
    // Back on the queue, for the cleanup after their spawn.
    if !st.unborn.is_empty() {
        st.drops.lock().extend(st.unborn.drain(..));
    }
    st.stats.despawned += n;
    st.stats.pooled_bytes = st.pool.pooled_bytes();
    if n > 0 {
        // bevy records every removed component for `RemovedComponents`
        // readers until the trackers are cleared (an App does it each
        // frame); without this a long loop grows by those records.
        world.clear_trackers();
    }
}

/// Where tensors' `Watched` components are changed: cleanup's query, or
/// the World (a tape reset outside the schedule).
trait WatchedRows {
    fn watched_mut(&mut self, e: Entity) -> Option<Mut<'_, Watched>>;
}

impl WatchedRows for Query<'_, '_, Row> {
    fn watched_mut(&mut self, e: Entity) -> Option<Mut<'_, Watched>> {
        self.get_mut(e).ok().and_then(|(_, _, w, _)| w)
    }
}

impl WatchedRows for World {
    fn watched_mut(&mut self, e: Entity) -> Option<Mut<'_, Watched>> {
        self.get_mut::<Watched>(e)
    }
}

/// Takes `tape` off the tensors its `marks` list (their `Watched`).
fn unmark(rows: &mut impl WatchedRows, marks: &TapeMarks, tape: Entity) {
    let marked: Vec<Entity> = marks.lock().drain().collect();
    for m in marked {
        if let Some(mut w) = rows.watched_mut(m) {
            w.0.retain(|t| *t != tape);
        }
    }
}

/// Despawns a tape's entries and removes its marks.
pub(crate) fn release_tape(world: &mut World, tape: Entity, entries: Vec<Entity>, marks: &TapeMarks) {
    unmark(world, marks, tape);
    for e in entries {
        world.despawn(e);
    }
}
