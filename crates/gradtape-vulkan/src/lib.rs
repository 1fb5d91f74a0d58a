//! gradtape-vulkan: the Vulkan compute device behind gradtape's `vulkan`
//! feature (vulkano 0.35, shaders compiled at build time by vulkano-shaders).
//!
//! Without the `vulkan` feature this crate is empty, so `cargo test
//! --workspace` needs neither cmake nor shaderc.
//!
//! # Design
//!
//! - **Device choice** ([`choice`]; `VulkanDevice::shared` and
//!   `VulkanDevice::shared_gpu`): a discrete GPU, else an integrated one,
//!   else a virtual one; a CPU-type device (Mesa's lavapipe) only when any
//!   device is wanted (`GRADTAPE_DEVICE=vulkan`). The device must have a compute queue and
//!   `bufferDeviceAddress`; `shaderFloat64` and `shaderInt64` are enabled
//!   when present. One device per process, shared by every engine, so
//!   pipelines compile once. No loader or no device is an `Err`.
//! - **No descriptor sets.** Every buffer is reached through its device
//!   address. A dispatch writes a small parameter record (buffer addresses,
//!   sizes, dims and strides) into the batch's parameter arena and pushes
//!   the record's address as a push constant; one pipeline layout serves
//!   every pipeline. So a dispatch records three commands (bind pipeline
//!   when it changes, push constants, dispatch) and allocates nothing.
//! - **One batch per flush** (`Batch`): the engine records every op of a
//!   flush into one command buffer, submits it once and waits on one fence.
//!   A global memory barrier goes in only before a dispatch that reads or
//!   writes a buffer written since the last barrier, so independent
//!   dispatches may overlap.
//! - **Buffers** (`DeviceBuffer`) come from a pool keyed by size class
//!   (at most 25% over the request) and memory kind, and go back to it when
//!   their last handle drops, together with the `Arc` that held them, so
//!   that in steady state a dispatch allocates nothing, on the device or
//!   on the host (`tests/steady_state.rs` counts both). A batch holds every buffer it uses until its
//!   fence has signalled, so a buffer never returns to the pool while the
//!   GPU may still use it. Uploads write device memory directly where it is
//!   host-visible (lavapipe, integrated GPUs, resizable BAR), else go
//!   through a staging buffer and a copy recorded at the head of the batch.
//! - **Pipelines** are cached by (shader variant, specialisation constants).
//!   Each op family has one shader in `shaders/` compiled once per element
//!   type (defines), and a specialisation constant picks the op inside it
//!   (see `ops/`). The API takes the op enums of `gradtape_core::registry`
//!   (`UnaryOp`, `BinaryOp`, `ReduceOp`); their fixed discriminants become
//!   the constants here and nowhere else. An op code the shader does not
//!   know writes NaN.
//! - **Element types**: float32, int32 and bool (one u32 per element on
//!   the device) everywhere; int64 and float64 arithmetic only with
//!   `shaderInt64` / `shaderFloat64`; the type-blind kernels (movement,
//!   select) move 64-bit elements on any device. GLSL has no float64
//!   transcendentals, so float64 is offered only for the registry's exact
//!   ops (`is_exact`: no exp, log, sin, ..., pow; see `ops::unary::has`);
//!   the engine runs whatever is not offered on the CPU. Where GLSL has no
//!   function (log1p, expm1, erf, fmod) or Vulkan allows a loose builtin
//!   (atan, tan), `shaders/elementwise.glsl` implements it.
//! - **Gathers, scatters, scans** (`ops/take.rs`, `ops/put.rs`,
//!   `ops/scan.rs`): bit-for-bit the CPU kernels' results, on every run.
//!   No float atomics: a scatter runs one invocation per output element
//!   over a host-built CSR of the updates landing on it, and a scan one
//!   invocation per lane, each in the CPU kernel's order.
//! - **Fusion** (`ops/fused.rs`): a run of float32 elementwise ops of one
//!   shape is one dispatch of a register-machine shader.
//! - **Matmul** (`ops/matmul.rs`): shared-memory tiles of 64 or 128 square,
//!   a 4x4 or 8x8 register block per thread, and for float32 operands whose
//!   rows are whole vec4s (the usual case) 16-byte loads and stores.

#[cfg(feature = "vulkan")]
mod batch;
pub mod choice;
#[cfg(feature = "vulkan")]
mod buffer;
#[cfg(feature = "vulkan")]
mod device;
#[cfg(feature = "vulkan")]
pub mod ops;

#[cfg(feature = "vulkan")]
pub use batch::Batch;
#[cfg(feature = "vulkan")]
pub use buffer::DeviceBuffer;
#[cfg(feature = "vulkan")]
pub use device::{DeviceInfo, VulkanDevice};
