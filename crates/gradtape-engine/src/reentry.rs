//! Which engine's built-in gradient rules this thread is applying inside
//! the backward system, which holds that engine's World lock: locking it
//! again would hang, so `Engine::lock` checks it (debug builds). The walk
//! (`walk.rs`) marks the thread; the engine only reads the mark, so the
//! mark lives below both.

use std::cell::Cell;

thread_local! {
    /// The engine whose built-in rules this thread is applying inside the
    /// backward system (0: none).
    static RULES_INSIDE: Cell<u64> = const { Cell::new(0) };
}

/// Marks this thread as applying built-in rules of engine `id` until dropped.
pub(crate) struct RulesInside(u64);

impl RulesInside {
    pub(crate) fn enter(id: u64) -> RulesInside {
        RulesInside(RULES_INSIDE.with(|r| r.replace(id)))
    }
}

impl Drop for RulesInside {
    fn drop(&mut self) {
        RULES_INSIDE.with(|r| r.set(self.0));
    }
}

/// Whether this thread is applying built-in gradient rules of engine `id`
/// inside the backward system, where locking that engine would deadlock.
pub(crate) fn in_rules_of(id: u64) -> bool {
    RULES_INSIDE.with(|r| r.get() == id)
}
