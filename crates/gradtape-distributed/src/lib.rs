//! gradtape across processes and machines, on MPI: Horovod's TensorFlow API
//! in Rust form.
//!
//! Enable the facade's feature `mpi` (`gradtape = { features = ["mpi"] }`)
//! and run the program with `mpirun -np N`; each process is one *rank*.
//! Without the feature this crate is empty, so the default build of
//! gradtape needs no MPI.
//!
//! ```no_run
//! # #[cfg(feature = "mpi")] {
//! use gradtape_distributed as hvd;
//! use gradtape_engine::*;
//! let _mpi = hvd::init()?; // MPI_Finalize when this guard is dropped
//! let w = Variable::new([0.0f32, 0.0])?;
//! hvd::broadcast_variables(&[&w], 0)?; // every rank starts from rank 0's w
//! let x = constant([1.0f32 + hvd::rank()? as f32, 2.0])?; // this rank's shard
//! let tape = GradientTape::new();
//! let loss = tape.record(|_| (&w.read() * &x)?.sum())?;
//! let grads = hvd::DistributedGradientTape::new(tape).gradient(&loss, &[&w])?;
//! // grads[0] is d loss / d w averaged over all ranks: the same on every rank.
//! w.assign_sub(&(grads[0].as_ref().expect("connected") * 0.1)?)?;
//! # }
//! # Ok::<(), gradtape_core::Error>(())
//! ```
//!
//! (The links below are plain names: the items exist only with the `mpi`
//! feature, and the docs build, with warnings denied, without it.)
//!
//! # How it works
//!
//! * **One MPI thread.** `init` starts a helper thread that calls
//!   `MPI_Init_thread(MPI_THREAD_FUNNELED)` and then makes every MPI call of
//!   the process (Horovod's background thread). A collective called from any
//!   user thread is handed to it, and the caller waits at most the
//!   timeout (`set_timeout`). Calls are serialised in the order they are made;
//!   like every MPI program, all ranks must make the same collective calls in
//!   the same order.
//! * **A handshake before the data.** Every collective first all-reduces a
//!   fixed 8-word header (sequence number, operation, hash of the dtypes and
//!   shapes). If the ranks disagree, they all-gather their full descriptions
//!   and every rank returns the same `Err` naming both shapes, instead of
//!   corrupting memory or hanging inside MPI.
//! * **Host buffers, and where the copies are.** MPI works on host memory.
//!   An input is read with [`Tensor::try_data`]: on the CPU engine that
//!   shares the tensor's own buffer (no copy; MPI reads it in place), on the
//!   Vulkan device it is the one device-to-host download. MPI writes the
//!   result straight into the output tensor's buffer, which comes from the
//!   engine's buffer pool (`gradtape_engine::pool`), so a training loop
//!   that drops last step's gradients reuses their memory instead of
//!   faulting in fresh pages every step. On Vulkan the output is a host
//!   tensor that the next device op uploads (the one host-to-device copy).
//!   Averaging divides in place, one pass. So `allreduce` on the CPU engine
//!   costs MPI's own traffic, the handshake and two thread hand-offs.
//! * **Tensor fusion.** `DistributedGradientTape::gradient` and
//!   `grouped_allreduce` pack the gradients of one dtype into a persistent
//!   fusion buffer and reduce it with one collective (Horovod's tensor
//!   fusion; the copies into it and out of it are fusion's price). At most
//!   `fusion_threshold()` bytes (64 MiB, Horovod's default) share a buffer;
//!   more take one collective per buffer, and a tensor larger than the
//!   threshold goes alone, from its own buffer, with no copy. Every rank
//!   must use the same threshold; the handshake checks it.

//! # Failures
//!
//! * Shape, dtype, operation or root mismatches across ranks: `Err` on every
//!   rank, quickly (the handshake). A rank whose local step failed takes part
//!   in the handshake with its error, so the others get an `Err` naming it.
//! * A rank that dies: with Open MPI's `mpirun` defaults, the launcher kills
//!   the whole job within about a second of a rank being killed or exiting
//!   with a non-zero status (`mpirun` exits non-zero; the survivors never see
//!   an error because they are terminated). With `mpirun --mca
//!   orte_abort_on_non_zero_status 0`, or a rank that is alive but stuck, the
//!   survivors would block in MPI forever; here each of them returns `Err`
//!   once a collective has waited `timeout` (default
//!   `DEFAULT_TIMEOUT`, or `GRADTAPE_MPI_TIMEOUT` seconds). After that the
//!   rank's communicator is *poisoned*: every later call returns `Err` at
//!   once, and the guard skips `MPI_Finalize`.
//! * A rank that panics with the `init` guard alive calls `MPI_Abort`
//!   from the guard's `Drop`, which ends the whole job at once; an unwinding
//!   `MPI_Finalize` would wait for the others forever.
//!
//! [`Tensor::try_data`]: gradtape_engine::Tensor::try_data

#![warn(missing_docs)]

#[cfg(feature = "mpi")]
mod collectives;
#[cfg(feature = "mpi")]
mod handshake;
#[cfg(feature = "mpi")]
mod host;
#[cfg(feature = "mpi")]
mod runtime;
#[cfg(feature = "mpi")]
mod stats;
#[cfg(feature = "mpi")]
mod tape;

#[cfg(feature = "mpi")]
pub use collectives::{allgather, allreduce, barrier, broadcast, broadcast_variables, grouped_allreduce};
#[cfg(feature = "mpi")]
pub use runtime::{
    fusion_threshold, init, init_with_timeout, is_initialized, local_rank, local_size, rank, set_fusion_threshold,
    set_timeout, size, timeout, Distributed, DEFAULT_FUSION_THRESHOLD, DEFAULT_TIMEOUT,
};
#[cfg(feature = "mpi")]
pub use stats::{stats, Stats};
#[cfg(feature = "mpi")]
pub use tape::{allreduce_gradients, DistributedGradientTape};

/// How [`allreduce`] combines the ranks' values (Horovod's `op=`).
#[cfg(feature = "mpi")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// The sum divided by the number of ranks: gradients of a mean loss.
    /// Integers divide with truncation toward zero (C's `/`); `bool` has no
    /// average and is an `Err`.
    Average,
    /// The elementwise sum (`bool`: logical or). Integers wrap on overflow.
    Sum,
    /// The elementwise minimum (`bool`: logical and).
    Min,
    /// The elementwise maximum (`bool`: logical or).
    Max,
    /// The elementwise product (`bool`: logical and).
    Product,
}
