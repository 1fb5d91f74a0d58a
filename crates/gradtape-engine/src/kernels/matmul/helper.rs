//! A second thread for the mid-sized products (issue 13), which polls a
//! little while after each job instead of sleeping at once.
//!
//! Measured on the 2-core machine: a 256^3 or 64x256 . 256x256 product
//! takes 50-200 µs, and handing half of it to rayon (`join` from a thread
//! outside the pool) pays two wake-ups, one for the worker and one for the
//! caller blocked on its latch; under load the woken thread waits for a
//! time slice, and two threads were no faster than one. Here the product is
//! cut into fixed chunks that the caller and the helper claim from one
//! counter: the helper, if it ran a job within the last [`SPIN`], is
//! already polling and joins at once; if it is asleep or has no core (on a
//! loaded machine the scheduler may put it beside the caller), the caller
//! claims every chunk itself and retracts the job, so a call is never much
//! slower than one thread. The chunks are fixed by the shape, so who runs
//! which never changes a bit.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long the helper keeps polling after a job before it parks: longer
/// than the gap between the products of a training step, short enough that
/// an idle program does not hold a core.
const SPIN: Duration = Duration::from_micros(300);

/// A borrowed job, its lifetime erased; [`chunks`] does not return before
/// the helper has let go of it.
#[derive(Clone, Copy)]
struct Job {
    f: *const (dyn Fn(usize) + Sync),
    n: usize,
}

/// `state`: 0 idle, `2s` job `s` posted, `2s + 1` job `s` taken by the helper.
struct Helper {
    /// Held by the one caller that owns the helper for a call.
    busy: Mutex<()>,
    job: UnsafeCell<Job>,
    state: AtomicU64,
    /// The next chunk of the current job to claim.
    next: AtomicUsize,
    /// The last job the helper let go of.
    released: AtomicU64,
    sleeping: AtomicBool,
    thread: OnceLock<Thread>,
}

// `job` is written only by the caller holding `busy`, before it publishes
// `state` (SeqCst), and read by the helper after it takes the job by a CAS
// on `state`.
unsafe impl Sync for Helper {}

static HELPER: OnceLock<&'static Helper> = OnceLock::new();

fn helper() -> Option<&'static Helper> {
    let h = *HELPER.get_or_init(|| {
        let h: &'static Helper = Box::leak(Box::new(Helper {
            busy: Mutex::new(()),
            job: UnsafeCell::new(Job { f: &|_| {}, n: 0 }),
            state: AtomicU64::new(0),
            next: AtomicUsize::new(0),
            released: AtomicU64::new(0),
            sleeping: AtomicBool::new(false),
            thread: OnceLock::new(),
        }));
        match std::thread::Builder::new().name("gradtape-matmul".into()).spawn(move || run(h)) {
            Ok(t) => {
                let _ = h.thread.set(t.thread().clone());
            }
            Err(e) => log::warn!("no matmul helper thread ({e}); products run on one thread"),
        }
        h
    });
    h.thread.get().map(|_| h)
}

/// Claims and runs chunks of `job` until none is left.
fn work(h: &Helper, job: Job) {
    loop {
        let i = h.next.fetch_add(1, AcqRel);
        if i >= job.n {
            return;
        }
        // SAFETY: the caller keeps `f` alive until the helper releases the job.
        unsafe { (*job.f)(i) };
    }
}

fn run(h: &'static Helper) {
    loop {
        let since = Instant::now();
        let mut polls = 0u32;
        loop {
            let s = h.state.load(Acquire);
            if s != 0 && s % 2 == 0 && h.state.compare_exchange(s, s + 1, AcqRel, Acquire).is_ok() {
                // SAFETY: written before `state` was published; the caller
                // waits for `released` before it ends the borrow.
                let job = unsafe { *h.job.get() };
                work(h, job);
                h.released.store(s / 2, Release);
                break;
            }
            polls = polls.wrapping_add(1);
            // Yield often: on a loaded machine this thread may share a core
            // with the caller, which must not lose its time to the polling.
            if polls % 32 == 0 {
                std::thread::yield_now();
                if since.elapsed() > SPIN {
                    h.sleeping.store(true, SeqCst);
                    let s = h.state.load(SeqCst);
                    if s == 0 || s % 2 == 1 {
                        std::thread::park();
                    }
                    h.sleeping.store(false, SeqCst);
                }
            } else {
                std::hint::spin_loop();
            }
        }
    }
}

/// Runs `f(0) .. f(n - 1)`, each once, on this thread and the helper, and
/// returns when all are done.
pub(super) fn chunks(n: usize, f: &(dyn Fn(usize) + Sync)) {
    let Some(h) = helper() else {
        return (0..n).for_each(f);
    };
    let Ok(_owner) = h.busy.try_lock() else {
        return (0..n).for_each(f);
    };
    let seq = h.released.load(Acquire).max(h.state.load(Acquire) / 2) + 1;
    h.next.store(0, Relaxed);
    // SAFETY: erases the borrow's lifetime; `Retract` below does not let
    // this function return or unwind before the helper has let go of it.
    let f: *const (dyn Fn(usize) + Sync + '_) = f;
    unsafe { *h.job.get() = Job { f: std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const (dyn Fn(usize) + Sync)>(f), n } };
    h.state.store(2 * seq, SeqCst);
    if h.sleeping.load(SeqCst) {
        if let Some(t) = h.thread.get() {
            t.unpark();
        }
    }
    let _retract = Retract(h, seq);
    // SAFETY: the job was just written by this thread.
    work(h, unsafe { *h.job.get() });
}

/// Takes the job back if the helper never took it, else waits for the
/// helper to release it (also when a chunk unwinds).
struct Retract(&'static Helper, u64);

impl Drop for Retract {
    fn drop(&mut self) {
        let (h, seq) = (self.0, self.1);
        if h.state.compare_exchange(2 * seq, 0, AcqRel, Acquire).is_ok() {
            return;
        }
        let mut polls = 0u32;
        while h.released.load(Acquire) != seq {
            polls = polls.wrapping_add(1);
            if polls % 32 == 0 {
                // The helper may have lost its core to another process.
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }
}
