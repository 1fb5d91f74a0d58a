//! Tensor rows kept for reuse. When the last handle of a plain tensor goes,
//! cleanup does not despawn its entity: its `Storage` becomes
//! [`Storage::Free`](crate::components::Storage::Free) and the entity goes
//! on this list, and the next op call takes that id instead of a fresh one.
//! The materialize system then rewrites the row's components in place, so
//! a steady loop neither spawns nor despawns (a despawn alone was 1,100
//! instructions of the 9,400 a tiny op and its flush cost, callgrind) and no
//! table row moves.
//!
//! A tensor that was on tapes (`Watched`) is taken off their marks first,
//! so that no tape takes the next tensor at that id for it. A variable's
//! row is despawned, so that no id an optimizer's slots remember is reused.
//! An id is therefore reused, with the same generation, only after every
//! handle to its tensor is gone: anything that keeps an `Entity` past its
//! tensor's life must keep a handle instead.

use std::sync::{Arc, Mutex};

use bevy_ecs::prelude::*;

/// At most this many retired rows are kept; more are despawned. A burst of
/// temporaries bigger than this does not pin its rows for the engine's life.
pub const MAX_FREE_ROWS: usize = 1 << 16;

/// The ids of retired rows, shared by the op calls (which take them without
/// the World's lock) and cleanup (which gives them back).
#[derive(Default)]
pub struct FreeRows(Mutex<Vec<Entity>>);

impl FreeRows {
    /// A retired row's id, if one is kept.
    pub fn take(&self) -> Option<Entity> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    /// Keeps `e` for reuse; `false` when the list is full (despawn it).
    pub fn give(&self, e: Entity) -> bool {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if v.len() >= MAX_FREE_ROWS {
            return false;
        }
        v.push(e);
        true
    }

    /// How many retired rows are kept.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The engine's [`FreeRows`], as a resource for cleanup. A bare World
/// without it despawns every dropped row.
#[derive(Resource, Clone)]
pub struct Rows(pub Arc<FreeRows>);
