//! Opening engines. `Engine::new` wires the engine's own layers
//! (`Engine::build` in `engine.rs`: world, queue, flush, backend) together
//! with the backward schedule of the Tensor layer (`walk.rs`), so that
//! `engine.rs` imports nothing from that layer. Also the CPU engine and the
//! process-wide default engine.

use std::sync::OnceLock;

use gradtape_core::Result;

use crate::engine::{Device, Engine};

static DEFAULT: OnceLock<Engine> = OnceLock::new();

impl Engine {
    /// A new engine on `device`. `Device::Vulkan` is an `Err` when there is
    /// no Vulkan loader or device, or the build lacks the `vulkan` feature;
    /// `Device::Auto` then takes the CPU, and takes it too when the only
    /// Vulkan device is a CPU-type one (lavapipe).
    ///
    /// ```
    /// # use gradtape_engine::*;
    /// let engine = Engine::new(Device::Cpu)?;
    /// let x = engine.constant([1.0, 2.0])?;
    /// assert_eq!((&x * 2)?.to_vec::<f32>()?, vec![2.0, 4.0]);
    /// // Handles of different engines do not mix.
    /// let other = Engine::new(Device::Cpu)?.constant([1.0, 2.0])?;
    /// assert!((&x + &other).is_err());
    /// # Ok::<(), gradtape_core::Error>(())
    /// ```
    pub fn new(device: Device) -> Result<Engine> {
        Engine::build(device, crate::walk::install)
    }

    /// A CPU engine.
    pub fn cpu() -> Engine {
        Engine::new(Device::Cpu).expect("internal: the CPU engine always opens")
    }

    /// The process-wide engine behind `gradtape::constant(..)` and friends,
    /// on the device `GRADTAPE_DEVICE` names (falling back to the CPU).
    pub fn default_engine() -> &'static Engine {
        // This accessor cannot fail, so a device that cannot be had is
        // logged (a warning) before falling back; `Engine::new` reports it as an Err.
        DEFAULT.get_or_init(|| {
            let dev = Device::from_env().unwrap_or_else(|e| {
                log::warn!("{e}; using auto");
                Device::Auto
            });
            Engine::new(dev).unwrap_or_else(|e| {
                log::warn!("{e}; the default engine uses the CPU");
                Engine::cpu()
            })
        })
    }
}

/// The default engine's device, in words.
pub fn device_info() -> String {
    Engine::default_engine().device_info().to_string()
}
