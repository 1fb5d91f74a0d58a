//! The components of tensor, variable, tape and tape-entry entities.

use std::sync::{Arc, Mutex, MutexGuard};

use bevy_ecs::entity::EntityHashSet;
use bevy_ecs::prelude::*;
use gradtape_core::HostData;
use smallvec::SmallVec;

use crate::node::Node;
use crate::op::OpKind;

/// A tensor's dimensions.
#[derive(Component, Clone, Debug)]
pub struct Shape(pub gradtape_core::Shape);

/// A tensor's element type.
#[derive(Component, Clone, Copy, Debug)]
pub struct DType(pub gradtape_core::DType);

/// A tensor's value through its life: pending, then on the host or a
/// device, or failed. One component whose variant changes, so that no state
/// change inserts or removes a component (which would move the entity's row
/// to another archetype).
#[derive(Component, Debug)]
pub enum Storage {
    /// Queued until the next flush: the op that computes it.
    Pending(Pending),
    /// No value: taken by this flush's plan and not computed yet, or lost
    /// with a failed device (reading it is the engine's device fault).
    Empty,
    /// On the host. Shared (`Arc`) so that views such as reshape and
    /// variable reads cost no copy.
    Host(Arc<HostData>),
    /// On the Vulkan device; `host` caches its download once read.
    #[cfg(feature = "vulkan")]
    Device {
        /// The device buffer.
        buf: gradtape_vulkan::DeviceBuffer,
        /// The value downloaded, once the host has read it.
        host: Option<Arc<HostData>>,
    },
    /// Could not be made (the device ran out of memory for it); reading it,
    /// or anything computed from it, is this error.
    Failed(gradtape_core::Error),
    /// No tensor: a retired row kept for reuse (see [`crate::rows`]), or one
    /// whose id a new op call has taken and the next flush will fill. A
    /// query over `Storage` sees these rows too: they hold no tensor.
    Free,
}

impl Storage {
    /// The value on the host, if it is there.
    pub fn host(&self) -> Option<&Arc<HostData>> {
        match self {
            Storage::Host(h) => Some(h),
            #[cfg(feature = "vulkan")]
            Storage::Device { host, .. } => host.as_ref(),
            _ => None,
        }
    }

    /// The error of a value that could not be made.
    pub fn failed(&self) -> Option<&gradtape_core::Error> {
        match self {
            Storage::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// The device buffer holding the value, if it is on the device.
    #[cfg(feature = "vulkan")]
    pub fn device(&self) -> Option<&gradtape_vulkan::DeviceBuffer> {
        match self {
            Storage::Device { buf, .. } => Some(buf),
            _ => None,
        }
    }
}

/// An op whose output is this entity, queued until the next flush.
#[derive(Debug)]
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
    /// Gradient walks of this tape in progress (a custom gradient's rule
    /// may start one on the same tape): its entries stay while any is on.
    pub walks: usize,
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

/// One recorded op of a tape: enough to run its gradient rule. A user may
/// query them (`Query<&TapeEntry>`, through `Engine::with_world`): the
/// op's name is `kind.name()`, the shapes those of `inputs` and `output`.
#[derive(Component)]
pub struct TapeEntry {
    /// The tape that recorded the op.
    pub tape: Entity,
    /// Its position in the tape's recording order, and in `Tape::entries`
    /// (the backward system walks it down from the last).
    pub seq: usize,
    /// The recorded op.
    pub kind: OpKind,
    /// Its inputs, kept alive while the entry lives.
    pub inputs: SmallVec<[Node; 2]>,
    /// Its output.
    pub output: Node,
}

/// The first device failure of this engine (a lost device, or memory it
/// could not get mid-flush). Values that existed only on the device are
/// gone: reading them is this error. The engine goes on on the CPU.
#[derive(Resource, Default, Clone, Debug)]
pub struct DeviceFault(pub Option<gradtape_core::Error>);

/// Counters a user or a test can read: flushes, dispatched ops (kept in
/// [`crate::backend::FlushState`], read through `Engine::stats`).
#[derive(Default, Clone, Copy, Debug)]
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
    /// Ops the CPU ran inside fused elementwise chains (counted in `dispatched` too).
    pub fused: u64,
    /// Ops a Vulkan engine ran on the host (counted in `dispatched` too):
    /// the device lacks the op or dtype, or its kernel could not be
    /// recorded. Tests read it to tell a device kernel from a fallback.
    pub on_host: u64,
}
