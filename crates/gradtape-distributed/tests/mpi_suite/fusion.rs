//! Tensor fusion's edges: the threshold (a tensor above it goes alone,
//! unpacked; many small ones share buffers), `None` slots in those groups,
//! every dtype through the fused path, a threshold mismatch, the pooled
//! output buffers, and the collectives on a Vulkan engine.

use gradtape_core::{DType, Error};
use gradtape_distributed::{self as hvd, DistributedGradientTape, ReduceOp};
use gradtape_engine::{Device, Differentiable, Engine, Tensor, Unconnected, Variable};

use crate::{report, Outcome};

fn e2s(e: Error) -> String {
    e.to_string()
}

fn rs() -> (usize, usize) {
    (hvd::rank().expect("initialized"), hvd::size().expect("initialized"))
}

/// Runs `f` with the fusion threshold at `bytes` on this rank, then restores it.
fn with_threshold<T>(bytes: usize, f: impl FnOnce() -> T) -> T {
    let old = hvd::fusion_threshold().expect("initialized");
    hvd::set_fusion_threshold(bytes).expect("initialized");
    let out = f();
    hvd::set_fusion_threshold(old).expect("initialized");
    out
}

/// A 400-byte tensor with a 64-byte threshold goes alone (nothing of it is
/// copied into the fusion buffer); three 16-byte ones share one buffer; a
/// 32-byte one that no longer fits starts the next (alone, so unpacked).
fn threshold_cuts_groups() -> Outcome {
    let (r, n) = rs();
    let e = Engine::cpu();
    let sizes = [100usize, 4, 4, 4, 8];
    let ts: Vec<Tensor> =
        sizes.iter().enumerate().map(|(i, &k)| e.from_vec(vec![(r + i) as f32; k], &[k])).collect::<Result<_, _>>().map_err(e2s)?;
    let refs: Vec<&Tensor> = ts.iter().collect();
    let (before, out, after) = with_threshold(64, || {
        let before = hvd::stats();
        let out = hvd::grouped_allreduce(&refs, ReduceOp::Sum);
        (before, out, hvd::stats())
    });
    let out = out.map_err(e2s)?;
    for (i, (o, &k)) in out.iter().zip(&sizes).enumerate() {
        let want: f32 = (0..n).map(|q| (q + i) as f32).sum();
        if o.dims() != [k] || o.to_vec::<f32>().map_err(e2s)? != vec![want; k] {
            return Err(format!("tensor {i}: got {o}, want {k} × {want}"));
        }
    }
    let calls = after.data_calls - before.data_calls;
    let fused = after.fused_bytes - before.fused_bytes;
    if calls != 3 || fused != 48 {
        return Err(format!("{calls} data collectives and {fused} bytes fused; want 3 ([400 B] alone, [16+16+16 B], [32 B] alone) and 48"));
    }
    // Fusion off (threshold 0): one collective per tensor, nothing copied.
    let (before, out, after) = with_threshold(0, || {
        let before = hvd::stats();
        let out = hvd::grouped_allreduce(&refs, ReduceOp::Sum);
        (before, out, hvd::stats())
    });
    out.map_err(e2s)?;
    let (calls, fused) = (after.data_calls - before.data_calls, after.fused_bytes - before.fused_bytes);
    if calls != 5 || fused != 0 {
        return Err(format!("threshold 0: {calls} collectives, {fused} bytes fused; want 5 and 0"));
    }
    Ok("(threshold 64 B: 3 collectives, 48 B packed; threshold 0: 5, none)".into())
}

/// Through the tape, with a 64-byte threshold: a large gradient only rank 0
/// has (the others send zeros from the fusion buffer, alone in its group),
/// a gradient no rank has (`None` everywhere, or zeros everywhere with
/// `Unconnected::Zero`), and small ones that fill several buffers.
fn tape_groups_and_none() -> Outcome {
    let (r, n) = rs();
    let big = Variable::new(vec![1.0f32; 50]).map_err(e2s)?;
    let unused = Variable::new(vec![3.0f32; 40]).map_err(e2s)?;
    let small: Vec<Variable> = (0..12).map(|i| Variable::new([i as f32; 4])).collect::<Result<_, _>>().map_err(e2s)?;
    let mut sources: Vec<&dyn Differentiable> = vec![&big, &unused];
    sources.extend(small.iter().map(|v| v as &dyn Differentiable));
    for unconnected in [Unconnected::None, Unconnected::Zero] {
        let tape = gradtape_engine::GradientTape::new();
        let loss = tape
            .record(|_| {
                let mut l = small.iter().try_fold(None::<Tensor>, |acc, v| {
                    let s = (&v.read() * (r as f64 + 1.0))?.sum()?;
                    Ok::<_, Error>(Some(match acc {
                        Some(a) => (&a + &s)?,
                        None => s,
                    }))
                })?
                .expect("twelve variables");
                if r == 0 {
                    l = (&l + &big.read().sum()?)?;
                }
                Ok(l)
            })
            .map_err(e2s)?;
        let g = with_threshold(64, || DistributedGradientTape::new(tape).gradient_with(&loss, &sources, unconnected)).map_err(e2s)?;
        let gb = g[0].as_ref().ok_or("big has no gradient on this rank")?.to_vec::<f32>().map_err(e2s)?;
        if gb != vec![1.0 / n as f32; 50] {
            return Err(format!("big's gradient {gb:?}, want 1/{n} everywhere"));
        }
        match (unconnected, &g[1]) {
            (Unconnected::None, None) => {}
            (Unconnected::Zero, Some(z)) if z.to_vec::<f32>().map_err(e2s)? == vec![0.0; 40] => {}
            (u, other) => return Err(format!("unused with {u:?}: got {other:?}")),
        }
        let mean = (1..=n).sum::<usize>() as f32 / n as f32;
        for (i, gs) in g[2..].iter().enumerate() {
            if gs.as_ref().map(|t| t.to_f64_vec()) != Some(vec![mean as f64; 4]) {
                return Err(format!("small {i}'s gradient {gs:?}, want {mean} × 4"));
            }
        }
    }
    Ok(String::new())
}

/// `grouped_allreduce` of every dtype, with empty and scalar tensors among
/// them, fused (the default threshold) and unfused (threshold 0).
fn grouped_every_dtype() -> Outcome {
    let (r, n) = rs();
    let e = Engine::cpu();
    let all = DType::ALL.to_vec();
    let mut ts = Vec::new();
    for &dt in &all {
        ts.push(e.from_slice(&[r as f64 + 1.0], &[]).and_then(|t| t.cast(dt)).map_err(e2s)?);
        ts.push(e.from_slice::<f64>(&[], &[0, 3]).and_then(|t| t.cast(dt)).map_err(e2s)?);
        ts.push(e.from_slice(&[(r % 2) as f64, 2.0, r as f64], &[3]).and_then(|t| t.cast(dt)).map_err(e2s)?);
    }
    let refs: Vec<&Tensor> = ts.iter().collect();
    for threshold in [hvd::DEFAULT_FUSION_THRESHOLD, 0] {
        let out = with_threshold(threshold, || hvd::grouped_allreduce(&refs, ReduceOp::Sum)).map_err(e2s)?;
        for (k, &dt) in all.iter().enumerate() {
            let sum = |f: &dyn Fn(usize) -> f64| -> f64 {
                if dt == DType::Bool { (0..n).any(|q| f(q) != 0.0) as u8 as f64 } else { (0..n).map(f).sum() }
            };
            let want: [Vec<f64>; 3] = [
                vec![sum(&|q| q as f64 + 1.0)],
                vec![],
                vec![sum(&|q| (q % 2) as f64), sum(&|_| 2.0), sum(&|q| q as f64)],
            ];
            let dims: [&[usize]; 3] = [&[], &[0, 3], &[3]];
            for j in 0..3 {
                let o = &out[3 * k + j];
                if o.dtype() != dt || o.dims() != dims[j] || o.to_f64_vec() != want[j] {
                    return Err(format!("{dt} tensor {j} (threshold {threshold}): got {o}, want {:?} {:?}", dims[j], want[j]));
                }
            }
        }
    }
    Ok(String::new())
}

/// Ranks with different thresholds would cut the same tensors into
/// different collectives; the handshake makes it an `Err` on every rank.
fn threshold_mismatch_errs() -> Outcome {
    let (r, n) = rs();
    if n == 1 {
        return Ok("(needs two ranks)".into());
    }
    let t = gradtape_engine::from_slice(&[1.0f32; 8], &[8]).map_err(e2s)?;
    let mine = if r == n - 1 { 128 } else { 64 };
    match with_threshold(mine, || hvd::grouped_allreduce(&[&t, &t], ReduceOp::Sum)) {
        Err(e) if e.message().contains("fusion thresholds: rank 0 used 64 bytes") && e.message().contains("used 128 bytes") => Ok(String::new()),
        other => Err(format!("want the mismatch Err on every rank, got {other:?}")),
    }
}

/// The output of an all-reduce is drawn from the engine's buffer pool: in a
/// loop that drops each result, the next one reuses its memory (no fresh
/// 64 MiB page-faulted in every step), and the values stay right.
fn outputs_reuse_pooled_buffers() -> Outcome {
    let (r, n) = rs();
    let e = Engine::cpu();
    let k = 1 << 16;
    let x = e.from_vec(vec![r as f32 + 1.0; k], &[k]).map_err(e2s)?;
    let want = (n * (n + 1) / 2) as f32;
    let mut addrs = Vec::new();
    for _ in 0..3 {
        let y = hvd::allreduce(&x, ReduceOp::Sum).map_err(e2s)?;
        let d = y.try_data().map_err(e2s)?;
        let v = <f32 as gradtape_core::Element>::unwrap_ref(&d).ok_or("not float32")?;
        if v.iter().any(|&s| s != want) {
            return Err(format!("a sum is not {want}"));
        }
        addrs.push(v.as_ptr() as usize);
    }
    if addrs[1] != addrs[0] || addrs[2] != addrs[0] {
        return Err(format!("the results' buffers are at {addrs:x?}: not reused from the pool"));
    }
    Ok(String::new())
}

/// On a Vulkan engine (lavapipe in CI): the values are downloaded for MPI
/// and the results are host tensors the next device op uploads. The
/// averaged gradients and a follow-up device op match the CPU's.
fn on_vulkan() -> Outcome {
    let (r, n) = rs();
    let e = match Engine::new(Device::Vulkan) {
        Ok(e) => e,
        Err(err) if std::env::var_os("GRADTAPE_MPI_REQUIRE_VULKAN").is_none() => {
            return Ok(format!("(skipped: no Vulkan engine in this build: {err})"))
        }
        Err(err) => return Err(format!("GRADTAPE_MPI_REQUIRE_VULKAN is set, but: {err}")),
    };
    let x = e.from_vec(vec![r as f32 + 1.0, 2.0, -1.0, 0.5], &[4]).map_err(e2s)?;
    let on_device = (&x * 2.0).map_err(e2s)?; // computed on the device
    let s = hvd::allreduce(&on_device, ReduceOp::Average).map_err(e2s)?;
    let next = (&s + 1.0).map_err(e2s)?.to_vec::<f32>().map_err(e2s)?;
    let mean = (1..=n).sum::<usize>() as f32 / n as f32;
    let want = vec![2.0 * mean + 1.0, 5.0, -1.0, 2.0];
    if next != want {
        return Err(format!("allreduce on Vulkan, then + 1: {next:?}, want {want:?}"));
    }
    let w = Variable::from_tensor(&e.from_vec(vec![0.5f32, -0.25, 1.0, 2.0], &[4]).map_err(e2s)?).map_err(e2s)?;
    let tape = e.gradient_tape(false, true);
    let loss = tape.record(|_| (&w.read() * &x)?.square()?.sum()).map_err(e2s)?;
    let g = DistributedGradientTape::new(tape).gradient(&loss, &[&w]).map_err(e2s)?;
    let g = g[0].as_ref().ok_or("w has no gradient")?.to_vec::<f32>().map_err(e2s)?;
    // d/dw sum((w x)^2) = 2 w x^2, averaged over the ranks' x.
    let wv = [0.5f32, -0.25, 1.0, 2.0];
    let xs = |q: usize| [q as f32 + 1.0, 2.0, -1.0, 0.5];
    let want: Vec<f32> = (0..4).map(|i| (0..n).map(|q| 2.0 * wv[i] * xs(q)[i] * xs(q)[i]).sum::<f32>() / n as f32).collect();
    if g.iter().zip(&want).any(|(a, b)| (a - b).abs() > 1e-5 * b.abs().max(1.0)) {
        return Err(format!("the averaged gradient on Vulkan {g:?}, want {want:?}"));
    }
    Ok(format!("(on {})", e.device_info()))
}

/// Runs every check in this file, in the same order on every rank.
pub fn run_all() {
    report("fusion_threshold_cuts_groups_large_tensor_alone", threshold_cuts_groups());
    report("fusion_tape_groups_and_none_gradients", tape_groups_and_none());
    report("grouped_allreduce_every_dtype_empty_and_scalar", grouped_every_dtype());
    report("fusion_threshold_mismatch_errs_on_every_rank", threshold_mismatch_errs());
    report("allreduce_outputs_reuse_pooled_buffers", outputs_reuse_pooled_buffers());
    report("collectives_on_vulkan", on_vulkan());
}
