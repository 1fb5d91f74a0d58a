//! A queue that threads append to under a lock and a flush empties whole,
//! keeping the buffer it emptied the time before so that a steady loop
//! reuses its memory: the op queue and the queue of dropped handles.

use std::sync::{Mutex, MutexGuard};

/// The items appended since the last [`SwapQueue::take`], and the emptied
/// buffer of the take before, for reuse.
pub struct SwapQueue<T>(Mutex<Vec<T>>, Mutex<Vec<T>>);

impl<T> Default for SwapQueue<T> {
    fn default() -> Self {
        SwapQueue(Mutex::new(Vec::new()), Mutex::new(Vec::new()))
    }
}

impl<T> SwapQueue<T> {
    /// The queue, locked, to append to. A panic while it was held leaves
    /// only whole items in it, so a poisoned lock is taken as it is.
    pub fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes every item, leaving the queue empty (with the spare buffer's capacity).
    pub fn take(&self) -> Vec<T> {
        let spare = std::mem::take(&mut *self.1.lock().unwrap_or_else(|e| e.into_inner()));
        std::mem::replace(&mut *self.lock(), spare)
    }

    /// Gives back a buffer [`SwapQueue::take`] returned, emptied here, for reuse.
    pub fn recycle(&self, mut v: Vec<T>) {
        v.clear();
        *self.1.lock().unwrap_or_else(|e| e.into_inner()) = v;
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}
