//! The op queue: what op calls, constants and tape recordings append,
//! outside the World's lock. An op call takes its output entity from bevy's
//! remote allocator and appends a record here; the World sees the records
//! only at a flush, when `materialize` turns them into entities in one pass.

use std::sync::{Arc, Mutex};

use bevy_ecs::prelude::*;
use gradtape_core::{DType, HostData, Shape};
use smallvec::SmallVec;

use crate::node::Node;
use crate::op::OpKind;

/// One queued happening, in program order.
pub enum Record {
    /// An op whose output is entity `e`.
    Op {
        /// The output entity, allocated but not yet spawned.
        e: Entity,
        /// The op.
        kind: OpKind,
        /// Its inputs, in the op's order.
        inputs: SmallVec<[Node; 2]>,
        /// The output's shape.
        shape: Shape,
        /// The output's dtype.
        dtype: DType,
        /// The tapes that recorded the op (its output is on them).
        watched: SmallVec<[Entity; 1]>,
    },
    /// A value made on the host (a constant, a variable read, a seed).
    Value {
        /// The entity, allocated but not yet spawned.
        e: Entity,
        /// The value.
        data: Arc<HostData>,
        /// Its shape.
        shape: Shape,
        /// The tapes it is on (a watched variable read).
        watched: SmallVec<[Entity; 1]>,
    },
    /// A tape recorded an op.
    Entry {
        /// The recording tape.
        tape: Entity,
        /// The recorded op.
        kind: OpKind,
        /// Its inputs.
        inputs: SmallVec<[Node; 2]>,
        /// Its output.
        output: Node,
    },
}

/// The records appended since the last flush, and the emptied buffer of
/// the flush before, kept so that the next flush's records reuse its memory.
#[derive(Default)]
pub struct OpQueue(Mutex<Vec<Record>>, Mutex<Vec<Record>>);

impl OpQueue {
    /// Appends `first` and then `rest`, with one lock.
    pub fn push(&self, first: Record, rest: impl IntoIterator<Item = Record>) {
        let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        q.push(first);
        q.extend(rest);
    }

    /// Takes every record, leaving the queue empty (with the spare buffer's capacity).
    pub fn take(&self) -> Vec<Record> {
        let spare = std::mem::take(&mut *self.1.lock().unwrap_or_else(|e| e.into_inner()));
        std::mem::replace(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()), spare)
    }

    /// Gives back a buffer [`OpQueue::take`] returned, once drained, for reuse.
    pub fn recycle(&self, mut v: Vec<Record>) {
        v.clear();
        *self.1.lock().unwrap_or_else(|e| e.into_inner()) = v;
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }
}
