//! The engine's side of the Vulkan backend (cargo feature `vulkan`).
//!
//! - `install` opens the device an engine asked for and puts it in the
//!   world as the `VulkanBackend` resource; its presence is what sends a
//!   flush's ops to `vulkan_dispatch_system` instead of the CPU's.
//! - A flush (`dispatch`) plans every queued op first (device kernel,
//!   zero-copy share, fused chain, or CPU fallback; see `plan.rs`), then
//!   records the device ops of the whole flush into one `Batch`: one
//!   command buffer, one submit, one fence. An op the device does not offer
//!   runs on the CPU in program order; if it reads a value still on the
//!   device, the batch so far is submitted there and the value downloaded
//!   (the batch is split).
//! - An op output lives on the device (`Storage::Device`) until the host
//!   reads it; `Tensor::data` then downloads it once and caches it there.
//! - A host value (`Storage::Host`) read by a device op is uploaded once per
//!   buffer: uploads are cached by the identity of the host `Arc`, which
//!   variable reads share. `Variable::assign*` installs a new `Arc`, so a
//!   stale upload is never used; cached uploads are dropped once their
//!   host buffer is.
//!
//! Without the feature, `install` takes the CPU and the rest is absent.

use bevy_ecs::prelude::*;
#[cfg(not(feature = "vulkan"))]
use gradtape_core::Error;
use gradtape_core::Result;

use crate::backend::Device;

#[cfg(feature = "vulkan")]
mod lower;
#[cfg(feature = "vulkan")]
mod plan;
#[cfg(feature = "vulkan")]
mod run;

#[cfg(feature = "vulkan")]
pub use run::{ensure_host, vulkan_dispatch_system, VulkanBackend};

/// Puts the backend for `device` into `world`; returns the device in words.
/// `Device::Vulkan` takes any usable Vulkan device (lavapipe included) and
/// is an `Err` without one; `Device::Auto` takes a GPU through Vulkan and
/// otherwise the CPU. The choice and its reason are logged at debug level.
pub(crate) fn install(world: &mut World, device: Device) -> Result<String> {
    let name = match device {
        Device::Cpu => {
            log::debug!("Device::Cpu: computing on the CPU backend, as asked");
            "cpu".to_string()
        }
        Device::Vulkan => match open(world, false) {
            Ok(name) => {
                log::debug!("Device::Vulkan: computing on {name}");
                name
            }
            Err(e) => {
                log::debug!("Device::Vulkan: {e}");
                return Err(e);
            }
        },
        Device::Auto => match open(world, true) {
            Ok(name) => {
                log::debug!("Device::Auto: computing on {name}, a GPU");
                name
            }
            Err(e) => {
                log::debug!("Device::Auto: computing on the CPU backend: {e}");
                "cpu".to_string()
            }
        },
    };
    Ok(name)
}

/// Opens the shared device (only a GPU when `gpu_only`).
#[cfg(feature = "vulkan")]
fn open(world: &mut World, gpu_only: bool) -> Result<String> {
    let dev = if gpu_only {
        gradtape_vulkan::VulkanDevice::shared_gpu()?
    } else {
        gradtape_vulkan::VulkanDevice::shared()?
    };
    let name = dev.info().to_string();
    world.insert_resource(VulkanBackend::new(dev));
    Ok(name)
}

#[cfg(not(feature = "vulkan"))]
fn open(_world: &mut World, _gpu_only: bool) -> Result<String> {
    Err(Error::Device("no Vulkan device: this build of gradtape has no Vulkan backend (feature `vulkan`)".into()))
}

/// Gives entity `e` host `Storage` if its value is only on the device.
#[cfg(not(feature = "vulkan"))]
pub(crate) fn ensure_host(_world: &mut World, _e: Entity) {}
