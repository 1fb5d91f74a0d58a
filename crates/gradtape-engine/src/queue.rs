//! The op queue: what op calls, constants and tape recordings append,
//! outside the World's lock. An op call takes its output entity from bevy's
//! remote allocator and appends a record here; the World sees the records
//! only at a flush, when `materialize` turns them into entities in one pass.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use gradtape_core::{DType, HostData, Shape};
use smallvec::SmallVec;

use crate::node::Node;
use crate::op::OpKind;
use crate::swap_queue::SwapQueue;

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

/// The records appended since the last flush.
pub type OpQueue = SwapQueue<Record>;

impl OpQueue {
    /// Appends `first` and then `rest`, with one lock.
    pub fn push(&self, first: Record, rest: impl IntoIterator<Item = Record>) {
        let mut q = self.lock();
        q.push(first);
        q.extend(rest);
    }
}
