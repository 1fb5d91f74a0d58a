//! Counters of the MPI calls this process made, for tests and tuning:
//! they show that fusion makes one data collective per dtype per step.

use std::sync::atomic::{AtomicU64, Ordering};

static HANDSHAKES: AtomicU64 = AtomicU64::new(0);
static DATA_CALLS: AtomicU64 = AtomicU64::new(0);
static DATA_BYTES: AtomicU64 = AtomicU64::new(0);
static FUSED_BYTES: AtomicU64 = AtomicU64::new(0);

/// What this process has sent through MPI since [`init`](crate::init).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Handshakes (one per collective call, all-reducing 8 words).
    pub handshakes: u64,
    /// Collectives that moved tensor data (all-reduce, all-gather or
    /// broadcast calls; the `None`-mask all-reduce included).
    pub data_calls: u64,
    /// Bytes this rank passed to those collectives.
    pub data_bytes: u64,
    /// Bytes copied into the fusion buffer (tensors that went alone, and
    /// single `allreduce`s, are sent from their own buffers and not counted).
    pub fused_bytes: u64,
}

/// The counters so far.
pub fn stats() -> Stats {
    Stats {
        handshakes: HANDSHAKES.load(Ordering::Relaxed),
        data_calls: DATA_CALLS.load(Ordering::Relaxed),
        data_bytes: DATA_BYTES.load(Ordering::Relaxed),
        fused_bytes: FUSED_BYTES.load(Ordering::Relaxed),
    }
}

pub(crate) fn handshake() {
    HANDSHAKES.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn data(bytes: usize) {
    DATA_CALLS.fetch_add(1, Ordering::Relaxed);
    DATA_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
}

pub(crate) fn fused(bytes: usize) {
    FUSED_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
}
