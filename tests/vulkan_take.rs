//! The gathers and scatters (`tf.gather`, `gather_nd`, `scatter_nd`,
//! `tensor_scatter_nd_*`, the last-axis gather of top_k and the sparse
//! cross-entropy, and the gathers' gradients, scatter-adds) on
//! `Engine::new(Device::Vulkan)` give the CPU engine's results bit for
//! bit, run on the device (the `Stats::on_host` counter stays put), give
//! the same bits on every run, and reject bad indices with the CPU's
//! error. Skips (passing) only when there is no Vulkan device at all.

#![cfg(feature = "vulkan")]

use gradtape::*;

mod vulkan_bits;
use vulkan_bits::*;

#[test]
fn gather_along_every_axis_and_its_gradient_match_the_cpu_bits() {
    // Repeated indices, so the gradient's scatter-add sums into one place.
    let cases: &[(&str, &[i32], &[usize], i64, i64)] = &[
        ("axis 0", &[3, 1, 3, 3, 0, 1, 3], &[7], 0, 0),
        ("axis 0, 2-D indices", &[4, 4, 0, 4, 2, 4], &[2, 3], 0, 0),
        ("axis 1", &[2, 0, 2, 2, 3, 2], &[6], 1, 0),
        ("axis -1", &[1, 1, 0, 1, 1], &[5], -1, 0),
        ("axis 1, batch_dims 1", &[0, 0, 1, 3, 3, 3, 2, 2, 0, 1, 0, 0, 1, 1, 1], &[5, 3], 1, 1),
        ("axis 2, batch_dims 1", &[2, 2, 1, 0, 0, 0, 1, 2, 2, 1], &[5, 2], 2, 1),
        ("axis 2, batch_dims 2", &[1; 40], &[5, 4, 2], 2, 2),
        ("no indices", &[], &[0], 1, 0),
    ];
    for dt in offered(&FLOATS) {
        for &(what, idx, ishape, axis, batch_dims) in cases {
            check(&format!("gather {what} {dt}"), |e| {
                let x = make(e, dt, &[5, 4, 3], 7);
                let i = ints(e, idx, ishape);
                value_and_grad(e, &x, |x| gather(x, &i, axis, batch_dims))
            });
        }
    }
    for dt in offered(&ALL) {
        check(&format!("gather forward {dt}"), |e| {
            let x = make(e, dt, &[5, 4, 3], 8);
            Ok(vec![("value".into(), gather(&x, &ints(e, &[2, 0, 2, 1], &[4]), 1, 0)?)])
        });
    }
}

#[test]
fn gather_of_a_device_value_many_colliding_indices() {
    // Thousands of updates into a few rows: long per-element loops, and a
    // grid of more than one workgroup.
    let mut rng = Rng::new(5);
    let idx: Vec<i32> = (0..3000).map(|_| (rng.next() * 7.0) as i32).collect();
    for dt in offered(&FLOATS) {
        check(&format!("gather, 3000 indices into 7 rows, {dt}"), |e| {
            let x = make(e, dt, &[7, 33], 3);
            let i = ints(e, &idx, &[3000]);
            // The gather reads the product's device buffer, not an upload.
            value_and_grad(e, &x, |x| gather(&x.mul(x)?, &i, 0, 0))
        });
    }
}

#[test]
fn the_scatter_add_test_data_is_order_sensitive() {
    // Guards the bit comparisons above against data whose sums come out the
    // same in any order (then a racy device kernel would pass): summing one
    // row's gradient contributions backwards must change some bits.
    let mut rng = Rng::new(5);
    let idx: Vec<usize> = (0..3000).map(|_| (rng.next() * 7.0) as usize).collect();
    let cpu = Engine::cpu();
    let w = make(&cpu, DType::F32, &[3000, 33], 99).to_vec::<f32>().unwrap();
    let mut differs = 0;
    for row in 0..7 {
        for c in 0..33 {
            let terms: Vec<f32> = idx.iter().enumerate().filter(|(_, &r)| r == row).map(|(i, _)| w[i * 33 + c]).collect();
            let fwd = terms.iter().fold(0.0f32, |a, &x| a + x);
            let back = terms.iter().rev().fold(0.0f32, |a, &x| a + x);
            differs += (fwd.to_bits() != back.to_bits()) as usize;
        }
    }
    assert!(differs > 0, "every sum came out the same in both orders");
}

#[test]
fn gather_nd_and_its_gradient_match_the_cpu_bits() {
    let cases: &[(&str, &[i32], &[usize])] = &[
        ("elements", &[1, 2, 0, 1, 1, 1, 3, 0, 1, 1, 2, 1], &[4, 3]),
        ("rows", &[1, 2, 1, 1, 0, 1], &[3, 2]),
        ("slices", &[3, 3, 0, 3], &[4, 1]),
        ("nested batch", &[0, 1, 3, 2, 0, 1, 0, 1], &[2, 2, 2]),
    ];
    for dt in offered(&FLOATS) {
        for &(what, idx, ishape) in cases {
            check(&format!("gather_nd {what} {dt}"), |e| {
                let x = make(e, dt, &[4, 3, 2], 11);
                let i = ints(e, idx, ishape);
                value_and_grad(e, &x, |x| gather_nd(x, &i))
            });
        }
    }
    for dt in offered(&ALL) {
        check(&format!("gather_nd forward {dt}"), |e| {
            let x = make(e, dt, &[4, 3, 2], 12);
            Ok(vec![("value".into(), gather_nd(&x, &ints(e, &[3, 0, 1, 1, 3, 0], &[3, 2]))?)])
        });
    }
}

#[test]
fn scatter_nd_and_its_gradient_match_the_cpu_bits() {
    // Duplicates sum; untouched elements stay zero.
    let idx: &[i32] = &[1, 4, 1, 1, 0, 4, 1];
    for dt in offered(&FLOATS) {
        check(&format!("scatter_nd {dt}"), |e| {
            let u = make(e, dt, &[7, 3], 13);
            let i = ints(e, idx, &[7, 1]);
            value_and_grad(e, &u, |u| scatter_nd(&i, u, &[6, 3]))
        });
    }
    for dt in offered(&ALL) {
        check(&format!("scatter_nd forward {dt}"), |e| {
            let u = make(e, dt, &[7, 3], 14);
            Ok(vec![("value".into(), scatter_nd(&ints(e, idx, &[7, 1]), &u, &[6, 3])?)])
        });
    }
}

#[test]
fn scatter_sums_of_subnormals_and_signed_zeros_match_the_cpu_bits() {
    // -0.0 alone sums to +0.0 (the sum starts from +0.0, as on the CPU);
    // subnormals neither flush to zero nor round differently.
    let tiny = f32::from_bits(1);
    let u32s = vec![-0.0f32, tiny, 3.0 * tiny, -0.0, -tiny, f32::MIN_POSITIVE, -f32::MIN_POSITIVE / 2.0, 1e-39];
    let u64s: Vec<f64> = vec![-0.0, f64::from_bits(1), 5e-324 * 7.0, -0.0, -f64::MIN_POSITIVE, 1e-310, -1e-310, 2e-308];
    let idx: &[i32] = &[0, 1, 1, 2, 1, 3, 3, 4];
    check("scatter_nd of subnormals, float32", |e| {
        let u = e.from_vec(u32s.clone(), &[8])?;
        Ok(vec![("value".into(), scatter_nd(&ints(e, idx, &[8, 1]), &u, &[6])?)])
    });
    if offered(&[DType::F64]).is_empty() {
        return;
    }
    check("scatter_nd of subnormals, float64", |e| {
        let u = e.from_vec(u64s.clone(), &[8])?;
        Ok(vec![("value".into(), scatter_nd(&ints(e, idx, &[8, 1]), &u, &[6])?)])
    });
}

#[test]
fn tensor_scatter_nd_every_mode_matches_the_cpu_bits() {
    let modes = [ScatterMode::Update, ScatterMode::Add, ScatterMode::Sub, ScatterMode::Max, ScatterMode::Min];
    let idx: &[i32] = &[2, 0, 2, 2, 4, 0];
    for dt in offered(&[DType::F32, DType::F64, DType::I32, DType::I64]) {
        for mode in modes {
            check(&format!("tensor_scatter_nd {mode:?} {dt}"), |e| {
                let t = make(e, dt, &[5, 2], 15);
                let u = make(e, dt, &[6, 2], 16);
                let i = ints(e, idx, &[6, 1]);
                if !dt.is_float() {
                    return Ok(vec![("value".into(), tensor_scatter_nd(&t, &i, &u, mode)?)]);
                }
                let tape = e.gradient_tape(true, true);
                let y = tape.record(|tp| {
                    tp.watch(&t)?;
                    tp.watch(&u)?;
                    tensor_scatter_nd(&t, &i, &u, mode)
                })?;
                let loss = tape.record(|_| y.mul(&make(e, dt, &[5, 2], 17))?.sum())?;
                let mut out: Outs = vec![("value".into(), y)];
                for (what, x) in [("d/dtensor", &t), ("d/dupdates", &u)] {
                    if let Some(g) = tape.gradient(&loss, x)? {
                        out.push((what.into(), g));
                    }
                }
                Ok(out)
            });
        }
    }
}

#[test]
fn bad_indices_on_the_vulkan_engine_are_the_cpu_errors() {
    let Some(vk) = vulkan() else { return };
    let cpu = Engine::cpu();
    type Case = fn(&Engine) -> Result<Tensor>;
    let cases: [(&str, Case); 6] = [
        ("gather past the end", |e| gather(&make(e, DType::F32, &[4, 3], 1), &ints(e, &[0, 4], &[2]), 0, 0)),
        ("gather negative", |e| gather(&make(e, DType::F32, &[4, 3], 1), &ints(e, &[-1], &[1]), 1, 0)),
        ("gather_nd", |e| gather_nd(&make(e, DType::F32, &[4, 3], 1), &ints(e, &[1, 3], &[1, 2]))),
        ("scatter_nd", |e| scatter_nd(&ints(e, &[6], &[1, 1]), &make(e, DType::F32, &[1], 1), &[6])),
        ("tensor_scatter_nd_add", |e| {
            tensor_scatter_nd(&make(e, DType::I32, &[3], 1), &ints(e, &[3], &[1, 1]), &make(e, DType::I32, &[1], 2), ScatterMode::Add)
        }),
        ("gather of a device value", |e| {
            let x = make(e, DType::F32, &[4, 3], 1).mul(2.0)?;
            gather(&x, &ints(e, &[7], &[1]), 0, 0)
        }),
    ];
    for (what, f) in cases {
        let want = f(&cpu).expect_err(what);
        let got = f(&vk).expect_err(what);
        assert_eq!(got.to_string(), want.to_string(), "{what}");
        assert!(matches!(got, Error::InvalidArgument(_)), "{what}: {got:?}");
    }
    // The engine is as it was: the next gather runs, on the device.
    let before = vk.stats().on_host;
    let x = make(&vk, DType::F32, &[4, 3], 1);
    let g = gather(&x, &ints(&vk, &[3, 0], &[2]), 0, 0).unwrap();
    let want = make(&cpu, DType::F32, &[4, 3], 1).to_vec::<f32>().unwrap();
    assert_eq!(g.to_vec::<f32>().unwrap(), [&want[9..12], &want[0..3]].concat());
    assert_eq!(vk.stats().on_host, before);
}

#[test]
fn gather_last_and_its_gradient_match_the_cpu_bits() {
    // take_along_axis on the last axis (top_k's values, the sparse
    // cross-entropy's picked logits): indices read on the device, repeated
    // within a row so the gradient's sums collide.
    let idx: Vec<i32> = (0..42).map(|i| ([4, 4, 0, 4, 1, 4, 2][i % 7] + i as i32 / 7) % 5).collect();
    for dt in offered(&FLOATS) {
        for wide in [false, true] {
            check(&format!("gather_last, int{} indices, {dt}", if wide { 64 } else { 32 }), |e| {
                let x = make(e, dt, &[6, 5], 31);
                let i = if wide {
                    e.from_vec(idx.iter().map(|&v| v as i64).collect(), &[6, 7])?
                } else {
                    ints(e, &idx, &[6, 7])
                };
                value_and_grad(e, &x, |x| x.gather_last(&i))
            });
        }
    }
    for dt in offered(&ALL) {
        check(&format!("gather_last forward, indices made on the device, {dt}"), |e| {
            let x = make(e, dt, &[6, 5], 32);
            let i = ints(e, &idx, &[6, 7]).add(&ints(e, &[0; 42], &[6, 7]))?;
            Ok(vec![("value".into(), x.gather_last(&i)?)])
        });
    }
}

#[test]
fn the_sparse_cross_entropy_and_its_gradient_run_on_the_device() {
    // The guides' classifier loss: nothing of it, forward or backward, on
    // the host (exp and log are not bit-exact across devices, so the
    // values compare with a tolerance here).
    let Some(vk) = vulkan() else { return };
    let run = |e: &Engine| -> Result<(Vec<f64>, Vec<f64>)> {
        let logits = make(e, DType::F32, &[8, 5], 41).mul(0.01)?;
        let labels = ints(e, &[0, 4, 4, 2, 1, 4, 0, 3], &[8]);
        let tape = e.gradient_tape(true, true);
        let loss = tape.record(|t| {
            t.watch(&logits)?;
            nn::sparse_softmax_cross_entropy_with_logits(&labels, &logits)?.reduce_mean()
        })?;
        let g = tape.gradient(&loss, &logits)?.expect("a gradient");
        Ok((loss.to_f64_vec(), g.to_f64_vec()))
    };
    let (lc, gc) = run(&Engine::cpu()).unwrap();
    let before = vk.stats().on_host;
    let (lv, gv) = run(&vk).unwrap();
    assert_eq!(vk.stats().on_host, before, "ops ran on the host of the Vulkan engine");
    for (a, b) in lc.iter().chain(&gc).zip(lv.iter().chain(&gv)) {
        assert!((a - b).abs() <= 1e-6 * (1.0 + a.abs()), "cpu {a} vs vulkan {b}");
    }
}
