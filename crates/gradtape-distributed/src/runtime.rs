//! The MPI runtime: one helper thread owns MPI and makes every MPI call; the
//! user's threads hand it jobs and wait for each with a deadline, which is
//! how a collective whose peer died becomes an `Err` instead of a hang (MPI's
//! blocking collectives cannot be interrupted, and a non-blocking one cannot
//! be cancelled, so the only way out is to stop waiting for it).

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use gradtape_core::{Error, Result};
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

/// How long one collective waits for the other ranks before it gives up
/// with an `Err`, unless [`init_with_timeout`], [`set_timeout`] or the
/// environment variable `GRADTAPE_MPI_TIMEOUT` (seconds) says otherwise. It
/// bounds the time a rank may lag behind the others at a collective, so it
/// must exceed the longest stretch of work one rank does alone (an
/// evaluation, a checkpoint) between two collectives.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Horovod's default fusion threshold (`HOROVOD_FUSION_THRESHOLD`): at most
/// this many bytes of gradients share one fused all-reduce, and a tensor
/// larger than it is sent alone, from its own buffer. Change it with
/// [`set_fusion_threshold`] or `GRADTAPE_FUSION_THRESHOLD` (bytes; 0 turns
/// fusion off); every rank must use the same value, which the handshake
/// checks.
pub const DEFAULT_FUSION_THRESHOLD: usize = 64 << 20;

/// A job for the MPI thread: it runs with the world communicator.
type Job = Box<dyn FnOnce(&SimpleCommunicator) + Send>;

enum Msg {
    Run(Job),
    /// `MPI_Finalize`, then the ack.
    Finalize(mpsc::Sender<()>),
    /// `MPI_Abort(world, code)`: ends every process of the job.
    Abort(i32),
}

struct Runtime {
    tx: mpsc::Sender<Msg>,
    thread: Option<JoinHandle<()>>,
    rank: usize,
    size: usize,
    local_rank: usize,
    local_size: usize,
    timeout: Duration,
    fusion_threshold: usize,
    /// Why this rank can no longer take part in collectives.
    poisoned: Option<String>,
    /// Collectives started so far; the handshake compares it across ranks.
    seq: u64,
}

enum Phase {
    Never,
    Running(Runtime),
    /// MPI cannot be initialised twice in one process.
    Finalized,
}

static RUNTIME: Mutex<Phase> = Mutex::new(Phase::Never);

fn lock() -> MutexGuard<'static, Phase> {
    // A panic while holding the lock leaves the phase itself consistent.
    RUNTIME.lock().unwrap_or_else(|p| p.into_inner())
}

fn not_running(phase: &Phase) -> Error {
    match phase {
        Phase::Finalized => Error::Runtime("MPI was shut down (the guard from init() was dropped); it cannot be initialized again in this process".into()),
        _ => Error::Value("gradtape_distributed has not been initialized; use gradtape_distributed::init().".into()),
    }
}

fn env_fusion_threshold() -> Result<usize> {
    let Ok(s) = std::env::var("GRADTAPE_FUSION_THRESHOLD") else { return Ok(DEFAULT_FUSION_THRESHOLD) };
    s.trim().parse::<usize>().map_err(|_| {
        Error::Value(format!("GRADTAPE_FUSION_THRESHOLD must be a number of bytes (0 or more), not '{s}'"))
    })
}

fn env_timeout() -> Result<Option<Duration>> {
    let Ok(s) = std::env::var("GRADTAPE_MPI_TIMEOUT") else { return Ok(None) };
    match s.trim().parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() => Ok(Some(Duration::from_secs_f64(secs))),
        _ => Err(Error::Value(format!("GRADTAPE_MPI_TIMEOUT must be a positive number of seconds, not '{s}'"))),
    }
}

/// Starts MPI (Horovod's `hvd.init()`) with the [`DEFAULT_TIMEOUT`] or
/// `GRADTAPE_MPI_TIMEOUT`. Keep the returned guard alive while the program
/// uses MPI: dropping it is `MPI_Finalize` (`hvd.shutdown()`).
///
/// An `Err` if MPI is already running or was shut down in this process, or
/// if MPI itself could not start.
///
/// ```no_run
/// let _mpi = gradtape_distributed::init()?;
/// println!("rank {} of {}", gradtape_distributed::rank()?, gradtape_distributed::size()?);
/// # Ok::<(), gradtape_core::Error>(())
/// ```
pub fn init() -> Result<Distributed> {
    let timeout = env_timeout()?.unwrap_or(DEFAULT_TIMEOUT);
    init_with_timeout(timeout)
}

/// [`init`] with the given per-collective timeout (`GRADTAPE_MPI_TIMEOUT`
/// is not read; `GRADTAPE_FUSION_THRESHOLD` is).
pub fn init_with_timeout(timeout: Duration) -> Result<Distributed> {
    let fusion_threshold = env_fusion_threshold()?;
    let mut phase = lock();
    if !matches!(*phase, Phase::Never) {
        return Err(match *phase {
            Phase::Running(_) => Error::Value("gradtape_distributed is already initialized".into()),
            _ => not_running(&phase),
        });
    }
    let (tx, rx) = mpsc::channel::<Msg>();
    let (ready_tx, ready_rx) = mpsc::channel::<Result<[usize; 4]>>();
    let thread = std::thread::Builder::new()
        .name("gradtape-mpi".into())
        .spawn(move || mpi_thread(rx, ready_tx))
        .map_err(|e| Error::Runtime(format!("could not start the MPI thread: {e}")))?;
    let [rank, size, local_rank, local_size] = ready_rx
        .recv()
        .map_err(|_| Error::Runtime("the MPI thread stopped while initializing MPI".into()))??;
    *phase = Phase::Running(Runtime {
        tx,
        thread: Some(thread),
        rank,
        size,
        local_rank,
        local_size,
        timeout,
        fusion_threshold,
        poisoned: None,
        seq: 0,
    });
    Ok(Distributed { _not_send: std::marker::PhantomData })
}

/// The MPI thread: initialises MPI, reports the ranks, then runs jobs until
/// told to finalize or abort (or until every sender is gone, which finalizes).
fn mpi_thread(rx: mpsc::Receiver<Msg>, ready: mpsc::Sender<Result<[usize; 4]>>) {
    let Some((universe, threading)) = mpi::initialize_with_threading(mpi::Threading::Funneled) else {
        let _ = ready.send(Err(Error::Runtime("MPI could not be initialized (MPI_Init_thread failed, or MPI was already initialized in this process)".into())));
        return;
    };
    if threading < mpi::Threading::Funneled {
        // Only this thread calls MPI; an MPI_THREAD_SINGLE library that is
        // not the process's main thread works with Open MPI and MPICH.
        log::warn!("MPI provides only {threading:?}; gradtape-distributed calls MPI from one helper thread");
    }
    let world = universe.world();
    let shared = world.split_shared(world.rank());
    let info = [world.rank(), world.size(), shared.rank(), shared.size()].map(|x| x as usize);
    drop(shared);
    if ready.send(Ok(info)).is_err() {
        return;
    }
    for msg in rx {
        match msg {
            Msg::Run(job) => job(&world),
            Msg::Finalize(ack) => {
                drop(world);
                drop(universe);
                let _ = ack.send(());
                return;
            }
            Msg::Abort(code) => world.abort(code),
        }
    }
}

/// The guard [`init`] returns: while it lives, MPI runs. Dropping it calls
/// `MPI_Finalize` (waiting at most the timeout for the other ranks); while a
/// panic unwinds it calls `MPI_Abort` instead, which ends every rank of the
/// job rather than leaving them waiting for this one. After a collective
/// timed out it skips finalisation, as MPI is stuck.
#[must_use = "dropping the guard shuts MPI down"]
pub struct Distributed {
    // Finalisation belongs to whoever initialised; the guard stays on its thread.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for Distributed {
    fn drop(&mut self) {
        let mut phase = lock();
        let Phase::Running(mut rt) = std::mem::replace(&mut *phase, Phase::Finalized) else { return };
        drop(phase);
        if let Some(why) = &rt.poisoned {
            log::warn!("gradtape-distributed: not calling MPI_Finalize, as MPI is stuck: {why}");
            return;
        }
        if std::thread::panicking() {
            log::error!("gradtape-distributed: rank {} is panicking; calling MPI_Abort so the other ranks stop too", rt.rank);
            let _ = rt.tx.send(Msg::Abort(1));
            // MPI_Abort ends this process; the wait only covers it failing to.
            std::thread::sleep(rt.timeout.min(Duration::from_secs(10)));
            return;
        }
        let (ack_tx, ack_rx) = mpsc::channel();
        if rt.tx.send(Msg::Finalize(ack_tx)).is_ok() && ack_rx.recv_timeout(rt.timeout).is_ok() {
            if let Some(t) = rt.thread.take() {
                let _ = t.join();
            }
        } else {
            log::warn!("gradtape-distributed: MPI_Finalize did not finish within {:?}", rt.timeout);
        }
    }
}

fn with_runtime<R>(f: impl FnOnce(&mut Runtime) -> R) -> Result<R> {
    let mut phase = lock();
    match &mut *phase {
        Phase::Running(rt) => Ok(f(rt)),
        other => Err(not_running(other)),
    }
}

/// Whether [`init`] has run and its guard is alive.
pub fn is_initialized() -> bool {
    matches!(*lock(), Phase::Running(_))
}

/// This process's rank in the world, `0..size()` (`hvd.rank()`).
pub fn rank() -> Result<usize> {
    with_runtime(|rt| rt.rank)
}

/// The number of processes (`hvd.size()`).
pub fn size() -> Result<usize> {
    with_runtime(|rt| rt.size)
}

/// This process's rank among those on the same machine (`hvd.local_rank()`):
/// the index to pick a GPU by.
pub fn local_rank() -> Result<usize> {
    with_runtime(|rt| rt.local_rank)
}

/// The number of processes on this machine (`hvd.local_size()`).
pub fn local_size() -> Result<usize> {
    with_runtime(|rt| rt.local_size)
}

/// The per-collective timeout now in force.
pub fn timeout() -> Result<Duration> {
    with_runtime(|rt| rt.timeout)
}

/// Sets how long a collective waits for the other ranks before it returns
/// `Err`; each rank sets its own.
pub fn set_timeout(timeout: Duration) -> Result<()> {
    with_runtime(|rt| rt.timeout = timeout)
}

/// The fusion threshold now in force, in bytes (see [`DEFAULT_FUSION_THRESHOLD`]).
pub fn fusion_threshold() -> Result<usize> {
    with_runtime(|rt| rt.fusion_threshold)
}

/// Sets the fusion threshold in bytes (Horovod's `HOROVOD_FUSION_THRESHOLD`):
/// gradients are packed into buffers of at most this size, one all-reduce
/// each, and a larger tensor goes alone. Every rank must set the same value
/// before its next fused call; if they differ, that call is an `Err` on
/// every rank.
pub fn set_fusion_threshold(bytes: usize) -> Result<()> {
    with_runtime(|rt| rt.fusion_threshold = bytes)
}

/// What a job learns about the world before it runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx {
    pub size: usize,
    pub seq: u64,
    /// This rank's fusion threshold, in bytes.
    pub fusion: usize,
}

/// Runs `f` on the MPI thread and waits for it, at most the timeout. `what`
/// names the collective in errors. Holding the lock for the whole call keeps
/// this process's collectives in the order they were called.
pub(crate) fn run<T: Send + 'static>(
    what: &str,
    f: impl FnOnce(&SimpleCommunicator, Ctx) -> Result<T> + Send + 'static,
) -> Result<T> {
    let mut phase = lock();
    let rt = match &mut *phase {
        Phase::Running(rt) => rt,
        other => return Err(not_running(other)),
    };
    if let Some(why) = &rt.poisoned {
        return Err(Error::Runtime(format!("{what}: MPI can no longer be used on rank {}: {why}", rt.rank)));
    }
    let ctx = Ctx { size: rt.size, seq: rt.seq, fusion: rt.fusion_threshold };
    rt.seq += 1;
    let (tx, rx) = mpsc::sync_channel(1);
    let job: Job = Box::new(move |comm| {
        let _ = tx.send(f(comm, ctx));
    });
    if rt.tx.send(Msg::Run(job)).is_err() {
        rt.poisoned = Some("the MPI thread has stopped".into());
        return Err(Error::Runtime(format!("{what}: the MPI thread has stopped")));
    }
    match rx.recv_timeout(rt.timeout) {
        Ok(r) => r,
        Err(RecvTimeoutError::Timeout) => {
            let why = format!(
                "{what} (collective #{}) did not complete within {:.1} s: another rank died, is stuck, or did not make the same call",
                ctx.seq,
                rt.timeout.as_secs_f64()
            );
            log::error!("gradtape-distributed: rank {}: {why}", rt.rank);
            rt.poisoned = Some(why.clone());
            Err(Error::Runtime(why))
        }
        Err(RecvTimeoutError::Disconnected) => {
            // The job panicked on the MPI thread, which is gone with it.
            let why = format!("{what} (collective #{}) failed inside MPI; the MPI thread stopped", ctx.seq);
            rt.poisoned = Some(why.clone());
            Err(Error::Runtime(why))
        }
    }
}
