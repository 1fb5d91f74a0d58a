//! Device faults are errors, never panics: no device is an `Err`; a device
//! that fails mid-flush (lost) leaves an `Err` for what was lost, the same
//! engine going on on the CPU, and CPU engines untouched; a device out of
//! memory makes the ops that needed the memory (and what was fused into
//! the same dispatch, and what is computed from them) an `Err`, and the
//! device stays in use.
//!
//! No test can lose a real device, so the mid-flush failure goes through
//! `VulkanBackend::fail_next_submit`, which makes the next submit fail the
//! way a lost device's does; `fail_next_allocation` does the same for a
//! full device.

#![cfg(feature = "vulkan")]

use gradtape::vulkan::VulkanBackend;
use gradtape::*;

#[test]
fn a_lost_device_is_an_err_and_the_engine_goes_on_on_the_cpu() -> Result<()> {
    let Ok(e) = Engine::new(Device::Vulkan) else {
        eprintln!("skipped: no Vulkan device");
        return Ok(());
    };
    let cpu = Engine::cpu();
    let kept = e.constant([1.0, 2.0])?;
    let read_before = (&kept * 2)?;
    assert_eq!(read_before.to_vec::<f32>()?, vec![2.0, 4.0]);

    // Arm the hook (with_world flushes first), then queue an op: its flush fails.
    e.with_world(|w| {
        if let Some(mut be) = w.get_resource_mut::<VulkanBackend>() {
            be.fail_next_submit();
        }
    });
    let lost = (&kept + 1)?;
    let err = lost.to_vec::<f32>().expect_err("its value was on the failed device");
    assert!(matches!(err, Error::Device(_)), "{err}");
    assert!(e.try_flush().is_err(), "the fault is kept");
    assert!(lost.to_string().contains("unavailable"), "Display shows the fault instead of panicking");

    // Host values survive, and new work on the same engine runs on the CPU.
    assert_eq!(kept.to_vec::<f32>()?, vec![1.0, 2.0]);
    assert_eq!((&kept * 3)?.to_vec::<f32>()?, vec![3.0, 6.0]);
    // Other engines were never involved.
    assert_eq!((&cpu.constant([1.0])? + 1)?.to_vec::<f32>()?, vec![2.0]);
    Ok(())
}

#[test]
fn no_device_is_an_err() {
    // With the loader pointed at no driver, opening a device fails cleanly.
    // (Run in a child process, since the device is chosen once per process.)
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args(["--exact", "child_opens_without_a_driver", "--nocapture", "--ignored"])
        .env("VK_DRIVER_FILES", "/nonexistent.json")
        .env("VK_ICD_FILENAMES", "/nonexistent.json")
        .output()
        .expect("the child runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
#[ignore = "run by no_device_is_an_err in a child process"]
fn child_opens_without_a_driver() {
    match Engine::new(Device::Vulkan) {
        Err(Error::Device(msg)) => eprintln!("as expected: {msg}"),
        Err(other) => panic!("wrong error kind: {other}"),
        Ok(e) => panic!("opened {} with no driver", e.device_info()),
    }
    let cpu = Engine::new(Device::Auto).expect("auto falls back to the CPU");
    assert_eq!(cpu.device_info(), "cpu");
}

#[test]
fn device_memory_exhausted_is_an_err_for_what_needed_it() -> Result<()> {
    let Ok(e) = Engine::new(Device::Vulkan) else {
        eprintln!("skipped: no Vulkan device");
        return Ok(());
    };
    let x = e.constant([1.0, 2.0, 3.0])?;
    e.with_world(|w| {
        if let Some(mut be) = w.get_resource_mut::<VulkanBackend>() {
            be.fail_next_allocation();
        }
    });
    let y = (&x * 2)?; // its output buffer cannot be had
    let z = (&y + 1)?; // computed from it: failed too (and fused with y into one dispatch)
    let w = x.reduce_sum()?; // independent, in the same flush: fine
    let err = z.to_vec::<f32>().expect_err("y's buffer could not be allocated");
    assert!(matches!(err, Error::ResourceExhausted(_)), "{err}");
    assert!(matches!(y.to_vec::<f32>(), Err(Error::ResourceExhausted(_))));
    assert_eq!(w.to_vec::<f32>()?, vec![6.0]);
    // The device is still in use, and the failure did not stick.
    assert!(e.try_flush().is_ok());
    assert_eq!((&x * 3)?.to_vec::<f32>()?, vec![3.0, 6.0, 9.0]);
    assert!(e.device_info().starts_with("vulkan"));
    Ok(())
}
