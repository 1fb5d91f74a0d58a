//! The backend interface. A flush's `Plan` system takes the pending ops out
//! of their entities, in program order, into [`FlushState::planned`]; then each
//! backend's dispatch system runs what it takes from there, in the
//! `Dispatch` set: a device backend first (when the world has one), and the
//! CPU last, on whatever is left. One flush path for every backend.
//!
//! A backend reads and writes values through [`Values`]: a dispatch system
//! passes its `Query<&mut Storage>`, and the few callers outside a schedule
//! (a read downloading a device value) pass the `World`.
//!
//! The module depends on no engine module above it: `engine.rs` builds on
//! it, and so do the systems and the Vulkan backend, with no circle.

pub mod cpu;
pub mod fuse;

use std::sync::Arc;

use bevy_ecs::prelude::*;
use gradtape_core::{DType, Error, Result, Shape};
use smallvec::SmallVec;

use crate::components::{Stats, Storage};
use crate::node::{DropQueue, Node};
use crate::queue::{OpQueue, Record};
use crate::rows::FreeRows;
use crate::op::OpKind;
use crate::pool::BufferPool;

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

/// The working state of a flush, one resource for every system of the
/// schedule: each resource look-up costs a bevy 0.20 system about 85
/// instructions (resources are entities), and a tiny op's flush took
/// seventeen of them when these were six resources.
#[derive(Resource, Default)]
pub struct FlushState {
    /// The engine's op queue, which `Materialize` empties.
    pub queue: Arc<OpQueue>,
    /// Entities whose last handle is gone, which `Cleanup` empties.
    pub drops: Arc<DropQueue>,
    /// Where `Cleanup` keeps retired rows (see [`crate::rows`]); a bare
    /// World without them despawns every dropped row.
    pub rows: Option<Arc<FreeRows>>,
    /// Rows in the `Storage::Free` state: on `rows`, or taken by an op call
    /// whose record is not materialized yet. Changed only under the World's
    /// lock, so `Engine::entity_count` is exact while other threads take ids.
    pub retired: usize,
    /// Pending ops in program order, for `Plan`.
    pub pending: Vec<Entity>,
    /// This flush's ops in program order, not yet taken by a backend.
    pub planned: Vec<Op>,
    /// Entities `Cleanup` despawns: dropped tensors and tapes, and dead tapes' entries.
    pub doomed: Vec<Entity>,
    /// Dropped before they were spawned (a handle dropped on another thread
    /// right after its record was queued there, while this flush had already
    /// taken the queue): spawned by the next flush, released by the one after.
    pub unborn: Vec<Entity>,
    /// The emptied buffers of the last takes of `queue` and `drops`,
    /// swapped in by the next ones, so that a steady loop reuses them.
    pub spare_records: Vec<Record>,
    /// See `spare_records`.
    pub spare_drops: Vec<Entity>,
    /// Host buffers for the outputs.
    pub pool: BufferPool,
    /// Counters a user or test reads through `Engine::stats`.
    pub stats: Stats,
}

impl FlushState {
    /// The state of an engine whose op calls append to `queue` and whose
    /// handles drop into `drops`.
    pub fn new(queue: Arc<OpQueue>, drops: Arc<DropQueue>, rows: Option<Arc<FreeRows>>) -> FlushState {
        FlushState { queue, drops, rows, ..Default::default() }
    }
}

/// Where a backend finds its inputs' values and leaves its outputs'.
pub trait Values {
    /// Entity `e`'s value, if it is spawned.
    fn value(&self, e: Entity) -> Option<&Storage>;
    /// Entity `e`'s value, to change in place (no archetype move).
    fn value_mut(&mut self, e: Entity) -> Option<Mut<'_, Storage>>;
    /// Sets entity `e`'s value: a field write, no archetype move.
    fn set(&mut self, e: Entity, v: Storage) {
        if let Some(mut s) = self.value_mut(e) {
            *s = v;
        }
    }
}

impl Values for Query<'_, '_, &mut Storage> {
    fn value(&self, e: Entity) -> Option<&Storage> {
        self.get(e).ok()
    }
    fn value_mut(&mut self, e: Entity) -> Option<Mut<'_, Storage>> {
        self.get_mut(e).ok()
    }
}

impl Values for World {
    fn value(&self, e: Entity) -> Option<&Storage> {
        self.get::<Storage>(e)
    }
    fn value_mut(&mut self, e: Entity) -> Option<Mut<'_, Storage>> {
        self.get_mut::<Storage>(e)
    }
}

/// The error of the first input whose own op failed (or whose device was
/// lost): an op's output fails with it instead of running.
pub(crate) fn failed_input(values: &impl Values, inputs: &[Node]) -> Option<Error> {
    inputs.iter().find_map(|n| values.value(n.entity()).and_then(Storage::failed).cloned())
}

/// What a dispatch system lends its backend: the values, the host buffer
/// pool and the counters.
pub struct Cx<'a, V: Values> {
    /// Every tensor's `Storage` (a dispatch system's `Query<&mut Storage>`).
    pub values: &'a mut V,
    /// Host buffers for the outputs.
    pub pool: &'a mut BufferPool,
    /// Counters (flushes, dispatched, fused, submits).
    pub stats: &'a mut Stats,
}

/// A place ops run: it computes every op it takes, in order, and leaves
/// each output's value (or its failure) in the output's `Storage`.
pub trait Backend {
    /// Runs `ops` (program order), taking what it computes out of `ops`
    /// and leaving the rest, in order, for the next backend. An `Err` is a
    /// failure of the backend itself (a lost device): the values it held
    /// are gone, and the dispatch system retires it.
    fn dispatch<V: Values>(&mut self, ops: &mut Vec<Op>, cx: &mut Cx<V>) -> gradtape_core::Result<()>;
}

/// Where an engine computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    /// The host CPU.
    Cpu,
    /// A Vulkan compute device: a GPU when there is one, else any other
    /// Vulkan device, such as Mesa's lavapipe (Vulkan on the CPU).
    Vulkan,
    /// The best device present: a GPU through Vulkan (discrete, then
    /// integrated, then virtual) when the build has the `vulkan` feature and
    /// the machine a GPU; otherwise the CPU backend, which is faster than a
    /// CPU-type Vulkan device. The choice and why are logged (`log`, debug).
    Auto,
}

impl Device {
    /// Reads `GRADTAPE_DEVICE` (`cpu`, `vulkan`, `auto`); `auto` when unset.
    pub fn from_env() -> Result<Device> {
        match std::env::var("GRADTAPE_DEVICE").ok().as_deref() {
            None | Some("") | Some("auto") => Ok(Device::Auto),
            Some("cpu") => Ok(Device::Cpu),
            Some("vulkan") => Ok(Device::Vulkan),
            Some(other) => Err(Error::Value(format!(
                "GRADTAPE_DEVICE must be cpu, vulkan or auto, not {other:?}"
            ))),
        }
    }
}
