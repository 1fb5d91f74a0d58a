//! The reference-counted link between a handle and its entity.

use std::sync::{Arc, Mutex};

use bevy_ecs::entity::Entity;
use gradtape_core::{DType, Shape};

/// Entities whose last reference was dropped, despawned at the next cleanup.
#[derive(Default)]
pub struct DropQueue(pub Mutex<Vec<Entity>>);

impl DropQueue {
    pub fn take(&self) -> Vec<Entity> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// One per entity; when the last `Arc<Token>` goes, the entity is queued for
/// despawning. It holds no engine reference, so components may hold tokens
/// without making a cycle through the world.
pub struct Token {
    pub entity: Entity,
    pub engine_id: u64,
    drops: Arc<DropQueue>,
}

impl Token {
    pub fn new(entity: Entity, engine_id: u64, drops: Arc<DropQueue>) -> Arc<Token> {
        Arc::new(Token { entity, engine_id, drops })
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        self.drops.0.lock().unwrap_or_else(|e| e.into_inner()).push(self.entity);
    }
}

/// A tensor without its engine: what pending ops and tape entries keep.
#[derive(Clone)]
pub struct Node {
    pub tok: Arc<Token>,
    pub shape: Shape,
    pub dtype: DType,
}

impl Node {
    pub fn entity(&self) -> Entity {
        self.tok.entity
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node({:?}, {:?}, {})", self.tok.entity, self.shape, self.dtype)
    }
}
