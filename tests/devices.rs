//! Which device an engine computes on: `Device::Auto` takes a GPU through
//! Vulkan, else the CPU backend, never a CPU-type Vulkan device (lavapipe),
//! which `Device::Vulkan` may take. Holds with and without `--features vulkan`
//! and on any machine: the expectations follow from what `Device::Vulkan` finds.

use gradtape::*;

#[test]
fn auto_takes_a_gpu_or_the_cpu_backend_never_lavapipe() -> Result<()> {
    let auto = Engine::new(Device::Auto)?;
    let info = auto.device_info().to_string();
    assert!(info == "cpu" || info.contains("GPU,"), "Device::Auto chose {info}");
    let vulkan = Engine::new(Device::Vulkan);
    // Shown with --nocapture: what this machine has.
    println!("Device::Auto: {info}; Device::Vulkan: {:?}", vulkan.as_ref().map(|e| e.device_info().to_string()));
    match vulkan {
        // lavapipe (or another CPU-type device) is the best Vulkan device here.
        Ok(v) if v.device_info().contains("(cpu,") || v.device_info().contains("(other,") => assert_eq!(info, "cpu"),
        // A GPU: Auto takes the same one.
        Ok(v) => assert_eq!(info, v.device_info()),
        // No Vulkan at all (or no `vulkan` feature): the CPU.
        Err(e) => {
            assert!(matches!(e, Error::Device(_)), "{e}");
            assert_eq!(info, "cpu");
        }
    }
    // Whatever it chose, it computes.
    let x = auto.constant([1.0, 2.0])?;
    assert_eq!((&x * &x)?.to_vec::<f32>()?, vec![1.0, 4.0]);
    Ok(())
}

#[test]
fn cpu_is_the_cpu() -> Result<()> {
    assert_eq!(Engine::new(Device::Cpu)?.device_info(), "cpu");
    Ok(())
}
