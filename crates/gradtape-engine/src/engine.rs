//! The engine: one `bevy_ecs::World` behind a mutex and its schedules. Its
//! constructors and the process-wide default engine are in `open.rs`.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bevy_ecs::entity::RemoteAllocator;
use bevy_ecs::prelude::*;
use gradtape_core::Result;

pub use crate::backend::Device;
use crate::backend::FlushState;
use crate::components::Stats;
use crate::node::DropQueue;
use crate::promotion::PromotionMode;
use crate::queue::{OpQueue, Record};
use crate::rows::FreeRows;
use crate::systems;

pub(crate) struct EngineInner {
    pub id: u64,
    pub world: Mutex<World>,
    pub drops: Arc<DropQueue>,
    pub numpy: AtomicU8,
    pub device_name: String,
    /// Hands out entity ids without the World's lock (bevy's concurrent allocator).
    pub alloc: RemoteAllocator,
    /// Records of op calls since the last flush, kept outside the World's lock.
    pub queue: Arc<OpQueue>,
    /// Retired rows whose ids op calls take before fresh ones.
    pub rows: Arc<FreeRows>,
    /// The flush schedule (see [`systems::flush_schedule`]); locked after the world.
    pub flush: Mutex<Schedule>,
    /// Materialize and Cleanup alone (see [`systems::collect_schedule`]); locked after the world.
    pub collect: Mutex<Schedule>,
}

/// Owns a `World` whose entities are tensors, variables, tapes and tape
/// entries. Cheap to clone (a reference); handles of one engine may not be
/// mixed with another's.
#[derive(Clone)]
pub struct Engine(pub(crate) Arc<EngineInner>);

static NEXT_ENGINE: AtomicU64 = AtomicU64::new(1);

impl Engine {
    /// The engine's own layers on `device`: its world, op queue, flush and
    /// collect schedules and backend. `install` adds the schedules of the
    /// layer above (the backward pass): `Engine::new`, in `open.rs`, passes
    /// `walk::install`, so this module needs nothing from the Tensor layer.
    pub(crate) fn build(device: Device, install: impl FnOnce(&mut World)) -> Result<Engine> {
        let mut world = World::new();
        let device_name = crate::vulkan::install(&mut world, device)?;
        world.init_resource::<crate::components::DeviceFault>();
        let (queue, drops, rows) = (Arc::new(OpQueue::default()), Arc::new(DropQueue::default()), Arc::new(FreeRows::default()));
        world.insert_resource(FlushState::new(queue.clone(), drops.clone(), Some(rows.clone())));
        install(&mut world);
        let mut flush = systems::flush_schedule();
        // Built now, not at the first flush: building adds resources (entities
        // in bevy 0.20), and the entity count must not change at a flush.
        flush.initialize(&mut world).expect("internal: the flush schedule builds");
        let mut collect = systems::collect_schedule();
        collect.initialize(&mut world).expect("internal: the collect schedule builds");
        let alloc = world.entity_allocator().build_remote_allocator();
        Ok(Engine(Arc::new(EngineInner {
            id: NEXT_ENGINE.fetch_add(1, Ordering::Relaxed),
            world: Mutex::new(world),
            drops,
            numpy: AtomicU8::new(PromotionMode::Off as u8),
            device_name,
            alloc,
            queue,
            rows,
            flush: Mutex::new(flush),
            collect: Mutex::new(collect),
        })))
    }

    /// A number unique to this engine in the process.
    pub fn id(&self) -> u64 {
        self.0.id
    }

    /// The device this engine computes on, in words.
    pub fn device_info(&self) -> &str {
        &self.0.device_name
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        // The backward system holds the lock while built-in rules run: one
        // that locked again would hang, so debug builds (the tests) say so.
        debug_assert!(!crate::reentry::in_rules_of(self.0.id), "internal: a built-in gradient rule locked its engine");
        // A panic while holding the lock is an engine bug; the world is still
        // structurally valid, so later calls may go on.
        self.0.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs every queued op and despawns what no handle refers to.
    ///
    /// A device failure does not stop the flush; it is kept, and reading a
    /// value that was lost with the device returns it (see [`Engine::try_flush`]).
    pub fn flush(&self) {
        let mut w = self.lock();
        self.flush_locked(&mut w);
    }

    /// [`Engine::flush`], then the device failure if one has happened.
    pub fn try_flush(&self) -> Result<()> {
        let mut w = self.lock();
        self.flush_locked(&mut w);
        w.get_resource::<crate::components::DeviceFault>().and_then(|f| f.0.clone()).map_or(Ok(()), Err)
    }

    pub(crate) fn flush_locked(&self, w: &mut World) {
        // Nothing queued, pending or dropped: the schedule would do nothing.
        if self.0.queue.is_empty() && self.0.drops.is_empty() && w.resource::<FlushState>().pending.is_empty() {
            return;
        }
        self.0.flush.lock().unwrap_or_else(|e| e.into_inner()).run(w);
    }

    /// Turns the queued records into entities (nothing is computed).
    pub(crate) fn materialize_locked(&self, w: &mut World) {
        let mut rows = w.query::<systems::TensorRow>();
        systems::materialize_queued(w, &mut rows);
    }

    /// An entity id for a record about to be queued: a retired row's, so
    /// that materialize rewrites it in place, or else a fresh one.
    pub(crate) fn alloc(&self) -> Entity {
        self.0.rows.take().unwrap_or_else(|| self.0.alloc.alloc())
    }

    /// Appends `first` and then `rest` to the op queue; the World is not touched.
    pub(crate) fn enqueue(&self, first: Record, rest: impl IntoIterator<Item = Record>) {
        self.0.queue.push(first, rest);
    }

    /// Despawns entities whose last handle is gone, without running ops.
    pub fn collect_garbage(&self) {
        let mut w = self.lock();
        self.collect_locked(&mut w);
    }

    fn collect_locked(&self, w: &mut World) {
        self.0.collect.lock().unwrap_or_else(|e| e.into_inner()).run(w);
    }

    /// How many entities the world holds (tensors, variables, tapes,
    /// entries), not counting rows retired for reuse.
    pub fn entity_count(&self) -> usize {
        let mut w = self.lock();
        self.collect_locked(&mut w);
        w.entities().count_spawned() as usize - w.resource::<FlushState>().retired
    }

    /// Flush and dispatch counters.
    pub fn stats(&self) -> Stats {
        self.lock().resource::<FlushState>().stats
    }

    /// Gives `f` the engine's world, flushed, for inspection.
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut w = self.lock();
        self.flush_locked(&mut w);
        f(&mut w)
    }

    pub(crate) fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Engine#{}({})", self.0.id, self.0.device_name)
    }
}
