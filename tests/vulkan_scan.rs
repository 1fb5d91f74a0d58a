//! `tf.cumsum` and `tf.math.cumprod` (exclusive, reverse, every axis) on
//! `Engine::new(Device::Vulkan)` give the CPU engine's bits, values and
//! gradients, run on the device and give the same bits on every run.
//! Skips (passing) only when there is no Vulkan device at all.

#![cfg(feature = "vulkan")]

use gradtape::*;

mod vulkan_bits;
use vulkan_bits::*;

const FLAGS: [(bool, bool); 4] = [(false, false), (true, false), (false, true), (true, true)];

#[test]
fn cumsum_on_every_axis_and_its_gradient_match_the_cpu_bits() {
    for dt in offered(&FLOATS) {
        for axis in [0i64, 1, 2, -1] {
            for (exclusive, reverse) in FLAGS {
                check(&format!("cumsum axis {axis} exclusive {exclusive} reverse {reverse} {dt}"), |e| {
                    let x = make(e, dt, &[3, 37, 5], 21);
                    value_and_grad(e, &x, |x| x.cumsum(axis, exclusive, reverse))
                });
            }
        }
    }
}

#[test]
fn cumprod_on_every_axis_and_its_gradient_match_the_cpu_bits() {
    for dt in offered(&FLOATS) {
        for axis in [0i64, 1, -1] {
            for (exclusive, reverse) in FLAGS {
                check(&format!("cumprod axis {axis} exclusive {exclusive} reverse {reverse} {dt}"), |e| {
                    // Near 1, so that products of a dozen stay finite and nonzero.
                    let x = make(e, dt, &[4, 12, 3], 22).mul(0.01)?.add(1.0)?;
                    value_and_grad(e, &x, |x| x.cumprod(axis, exclusive, reverse))
                });
            }
        }
    }
}

#[test]
fn integer_scans_match_the_cpu_bits() {
    for dt in offered(&[DType::I32, DType::I64]) {
        for (exclusive, reverse) in FLAGS {
            check(&format!("cumsum and cumprod exclusive {exclusive} reverse {reverse} {dt}"), |e| {
                // Large values: products overflow and wrap, as on the CPU.
                let x = make(e, dt, &[6, 40], 23);
                Ok(vec![
                    ("cumsum".into(), x.cumsum(1, exclusive, reverse)?),
                    ("cumprod".into(), x.cumprod(1, exclusive, reverse)?),
                    ("cumsum axis 0".into(), x.cumsum(0, exclusive, reverse)?),
                ])
            });
        }
    }
}

#[test]
fn a_long_one_lane_scan_of_a_device_value_matches_the_cpu_bits() {
    // 20,000 elements on one lane: the order of the float sums shows.
    for dt in offered(&FLOATS) {
        check(&format!("cumsum of 20000 {dt}"), |e| {
            let x = make(e, dt, &[20000], 24);
            value_and_grad(e, &x, |x| x.mul(x)?.cumsum(0, false, false))
        });
    }
}
