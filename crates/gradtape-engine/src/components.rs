//! The components of tensor, variable, tape and tape-entry entities.

use std::sync::{Arc, Mutex, MutexGuard};

use bevy_ecs::entity::EntityHashSet;
use bevy_ecs::prelude::*;
use gradtape_core::{DType, HostData, Shape};
use smallvec::SmallVec;

use crate::node::Node;
use crate::op::OpKind;

/// A tensor's dimensions.
#[derive(Component, Clone, Debug)]
pub struct Dims(pub Shape);

/// A tensor's element type.
#[derive(Component, Clone, Copy, Debug)]
pub struct ElemType(pub DType);

/// A computed value. Shared (`Arc`) so that views such as reshape and
/// variable reads cost no copy. Sparse-set storage: it arrives after the
/// entity is spawned, and a sparse insert moves no table row.
#[derive(Component, Clone, Debug)]
#[component(storage = "SparseSet")]
pub struct Storage(pub Arc<HostData>);

/// An op whose output is this entity, queued until the next flush.
/// Sparse-set storage: it is removed at the flush, and that should not move
/// the entity's row.
#[derive(Component)]
#[component(storage = "SparseSet")]
pub struct Pending {
    /// The op that computes this entity.
    pub kind: OpKind,
    /// Its inputs, in the op's order.
    pub inputs: SmallVec<[Node; 2]>,
}

/// Marks a variable: its `Storage` is replaced in place by `assign*`.
#[derive(Component, Clone, Debug)]
pub struct VariableTag {
    /// TF's name with its output index, `Variable:0`.
    pub name: String,
    /// Creation order, which `watched_variables()` follows.
    pub seq: u64,
}

/// Marks a trainable variable: tapes watch it when it is read.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Trainable;

/// Which tapes have this tensor on them (watched, or produced by a recorded op).
#[derive(Component, Clone, Debug, Default)]
#[component(storage = "SparseSet")]
pub struct Watched(pub SmallVec<[Entity; 2]>);

/// A GradientTape.
#[derive(Component, Debug)]
pub struct Tape {
    /// Whether gradients may be asked for more than once.
    pub persistent: bool,
    /// Whether reading a trainable variable puts it on the tape.
    pub watch_accessed_variables: bool,
    /// Whether this tape is on its thread's active stack right now.
    pub recording: bool,
    /// Whether `stop_recording` has it paused.
    pub paused: bool,
    /// A non-persistent tape after its one gradient call.
    pub consumed: bool,
    /// Has been entered at least once.
    pub entered: bool,
    /// Its entries, in recording order.
    pub entries: Vec<Entity>,
    /// The tensors on it, unmarked when it resets or dies.
    pub marks: Arc<TapeMarks>,
    /// Watched variables as (creation seq, handle), kept alive by the tape.
    pub variables: Vec<(u64, Node)>,
}

/// The tensors on a tape (watched, or made by an op it recorded). Kept
/// outside the World, so that an op call asks it without the World's lock;
/// the `Watched` components mirror it for queries.
#[derive(Default, Debug)]
pub struct TapeMarks(Mutex<EntityHashSet>);

impl TapeMarks {
    /// The set, locked.
    pub fn lock(&self) -> MutexGuard<'_, EntityHashSet> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One recorded op of a tape: enough to run its gradient rule.
#[derive(Component)]
pub struct TapeEntry {
    /// The tape that recorded the op.
    pub tape: Entity,
    /// Its position in the tape's recording order.
    pub seq: usize,
    /// The recorded op.
    pub kind: OpKind,
    /// Its inputs, kept alive while the entry lives.
    pub inputs: SmallVec<[Node; 2]>,
    /// Its output.
    pub output: Node,
}

/// An op whose value could not be made (the device ran out of memory for
/// it); reading it, or anything computed from it, is this error.
#[derive(Component, Clone, Debug)]
#[component(storage = "SparseSet")]
pub struct Failed(pub gradtape_core::Error);

/// The first device failure of this engine (a lost device, or memory it
/// could not get mid-flush). Values that existed only on the device are
/// gone: reading them is this error. The engine goes on on the CPU.
#[derive(Resource, Default, Clone, Debug)]
pub struct DeviceFault(pub Option<gradtape_core::Error>);

/// Ops queued for the next flush, in program order.
#[derive(Resource, Default)]
pub struct PendingQueue(pub Vec<Entity>);

/// Counters a user or a test can read: flushes, dispatched ops.
#[derive(Resource, Default, Clone, Copy, Debug)]
pub struct Stats {
    /// Flushes run.
    pub flushes: u64,
    /// Ops computed.
    pub dispatched: u64,
    /// Entities despawned by cleanup.
    pub despawned: u64,
    /// Vulkan queue submits (a flush records all its ops into one).
    pub submits: u64,
    /// Free bytes held by the buffer pool.
    pub pooled_bytes: usize,
}
