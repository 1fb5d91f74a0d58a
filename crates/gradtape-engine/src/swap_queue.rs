//! A queue that threads append to under a lock and a flush empties whole,
//! keeping the buffer it emptied the time before so that a steady loop
//! reuses its memory: the op queue and the queue of dropped handles.

use std::sync::{Mutex, MutexGuard};

/// The items appended since the last [`SwapQueue::take_into`]. The
/// emptied buffer a take swaps in is the caller's (the flush keeps it in
/// `FlushState`), so a take is one lock.
pub struct SwapQueue<T>(Mutex<Vec<T>>);

impl<T> Default for SwapQueue<T> {
    fn default() -> Self {
        SwapQueue(Mutex::new(Vec::new()))
    }
}

impl<T> SwapQueue<T> {
    /// The queue, locked, to append to. A panic while it was held leaves
    /// only whole items in it, so a poisoned lock is taken as it is.
    pub fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves every item into `into`, which must be empty, leaving the queue
    /// with `into`'s old buffer (and its capacity) to append to.
    pub fn take_into(&self, into: &mut Vec<T>) {
        debug_assert!(into.is_empty(), "internal: a take's buffer is empty");
        std::mem::swap(&mut *self.lock(), into);
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}
