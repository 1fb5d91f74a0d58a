//! The reference-counted link between a handle and its entity.

use std::sync::Arc;

use bevy_ecs::entity::Entity;
use gradtape_core::{DType, Shape};

use crate::swap_queue::SwapQueue;

/// Entities whose last reference was dropped, despawned at the next cleanup.
pub type DropQueue = SwapQueue<Entity>;

/// One per entity; when the last `Arc<Token>` goes, the entity is queued for
/// despawning. It holds no engine reference, so components may hold tokens
/// without making a cycle through the world.
pub struct Token {
    /// The entity this token keeps alive.
    pub entity: Entity,
    /// The [`Engine::id`](crate::Engine::id) of its engine.
    pub engine_id: u64,
    /// Whether the entity is a variable's: a tensor handle to it (what a
    /// `Variable` derefs to) is read, not used in place, when an op takes it.
    pub variable: bool,
    drops: Arc<DropQueue>,
}

impl Token {
    /// A token that queues `entity` on `drops` when its last `Arc` goes.
    pub fn new(entity: Entity, engine_id: u64, drops: Arc<DropQueue>) -> Arc<Token> {
        Arc::new(Token { entity, engine_id, variable: false, drops })
    }

    /// [`Token::new`] for a variable's entity.
    pub fn new_variable(entity: Entity, engine_id: u64, drops: Arc<DropQueue>) -> Arc<Token> {
        Arc::new(Token { entity, engine_id, variable: true, drops })
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        self.drops.lock().push(self.entity);
    }
}

/// A tensor without its engine: what pending ops and tape entries keep.
#[derive(Clone)]
pub struct Node {
    /// Keeps the entity alive.
    pub tok: Arc<Token>,
    /// The tensor's shape.
    pub shape: Shape,
    /// The tensor's dtype.
    pub dtype: DType,
}

impl Node {
    /// The tensor's entity.
    pub fn entity(&self) -> Entity {
        self.tok.entity
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node({:?}, {:?}, {})", self.tok.entity, self.shape, self.dtype)
    }
}
