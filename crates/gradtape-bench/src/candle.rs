//! candle (`candle-core`), the Rust peer, timed in this process on the same
//! workloads as gradtape, under the same names.
//!
//! candle has no tape: an op whose input is a `Var` records its inputs in
//! the output (its autograd graph), and `backward` walks that graph. So the
//! `_tape_` figures time candle's op with a `Var` input (the recording, no
//! backward), and `chain1000_bwd_us` and `mlp_step_ms` time `backward`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use candle_core::{DType, Device, Result, Tensor, Var};

use crate::compare::Peer;
use crate::workloads::{self, median, uniform_values};

/// The shared timing loops, with candle's error type fixed for inference.
fn median_time(f: impl FnMut() -> Result<()>, reps: usize, warm: usize) -> Result<f64> {
    workloads::median_time(f, reps, warm)
}

fn per_call_us(f: impl FnMut() -> Result<()>, calls: usize, batch: usize) -> Result<f64> {
    workloads::per_call_us(f, calls, batch)
}

/// The same xorshift buffer as `workloads::uniform`.
fn uniform(dims: &[usize], seed: u64) -> Result<Tensor> {
    Tensor::from_vec(uniform_values(dims.iter().product(), seed), dims, &Device::Cpu)
}

fn tiny_add(quick: bool, tape: bool) -> Result<f64> {
    let a = if tape { Var::ones(4, DType::F32, &Device::Cpu)?.as_tensor().clone() } else { Tensor::ones(4, DType::F32, &Device::Cpu)? };
    let b = Tensor::ones(4, DType::F32, &Device::Cpu)?;
    let iters = if quick { 10_000 } else { 50_000 };
    per_call_us(
        || {
            black_box((&a + &b)?);
            Ok(())
        },
        iters,
        1000,
    )
}

fn chain1000() -> Result<(f64, f64)> {
    let w = Tensor::full(1.0001f32, 4, &Device::Cpu)?;
    let c = Tensor::full(0.001f32, 4, &Device::Cpu)?;
    let (mut f, mut g) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let x = Var::ones(4, DType::F32, &Device::Cpu)?;
        let t0 = Instant::now();
        let mut y = x.as_tensor().clone();
        for i in 0..1000 {
            y = if i % 2 == 0 { (&y * &w)? } else { (&y + &c)? };
        }
        let loss = y.sum_all()?;
        let t1 = Instant::now();
        let grads = loss.backward()?;
        black_box(grads.get(&x).expect("x is connected").to_vec1::<f32>()?);
        let t2 = Instant::now();
        f.push((t1 - t0).as_secs_f64());
        g.push((t2 - t1).as_secs_f64());
    }
    Ok((median(f[3..].to_vec()) * 1e6, median(g[3..].to_vec()) * 1e6))
}

fn matmul_gflops(n: usize) -> Result<f64> {
    let a = uniform(&[n, n], 1)?;
    let b = uniform(&[n, n], 2)?;
    let reps = (4e9 / (2.0 * (n as f64).powi(3))).clamp(5.0, 200.0) as usize;
    let t = median_time(
        || {
            black_box(a.matmul(&b)?);
            Ok(())
        },
        reps,
        5,
    )?;
    Ok(2.0 * (n as f64).powi(3) / t / 1e9)
}

fn add16m_ms() -> Result<f64> {
    let n = 16 << 20;
    let (a, b) = (uniform(&[n], 3)?, uniform(&[n], 4)?);
    Ok(median_time(
        || {
            black_box((&a + &b)?);
            Ok(())
        },
        10,
        3,
    )? * 1e3)
}

fn sum16m_ms() -> Result<f64> {
    let a = uniform(&[16 << 20], 5)?;
    Ok(median_time(
        || {
            black_box(a.sum_all()?.to_scalar::<f32>()?);
            Ok(())
        },
        10,
        3,
    )? * 1e3)
}

fn fused16m_ms(tape: bool) -> Result<f64> {
    let n = 16 << 20;
    let x = uniform(&[n], 10)?;
    let x = if tape { Var::from_tensor(&x)?.as_tensor().clone() } else { x };
    let (w, b, s, t) = (uniform(&[n], 11)?, uniform(&[n], 12)?, uniform(&[n], 13)?, uniform(&[n], 14)?);
    Ok(median_time(
        || {
            black_box((((&x * &w)? + &b)?.relu()? * &s)? - &t)?;
            Ok(())
        },
        10,
        3,
    )? * 1e3)
}

fn mlp_step_ms() -> Result<f64> {
    let x = uniform(&[64, 256], 6)?;
    let y = uniform(&[64, 10], 7)?;
    let w1 = Var::from_tensor(&(uniform(&[256, 256], 8)? * 0.1)?)?;
    let w2 = Var::from_tensor(&(uniform(&[256, 10], 9)? * 0.1)?)?;
    Ok(median_time(
        || {
            let h = x.matmul(&w1)?.relu()?;
            let d = (h.matmul(&w2)? - &y)?;
            let loss = d.sqr()?.mean_all()?;
            let g = loss.backward()?;
            let (g1, g2) = (g.get(&w1).expect("connected"), g.get(&w2).expect("connected"));
            w1.set(&(w1.as_tensor() - (g1 * 0.01)?)?)?;
            w2.set(&(w2.as_tensor() - (g2 * 0.01)?)?)?;
            Ok(())
        },
        50,
        5,
    )? * 1e3)
}

/// candle's figures on every workload it has; one that fails is left out.
/// `wanted` picks workloads by name (the harness's `--only`).
pub fn run(quick: bool, wanted: &dyn Fn(&str) -> bool) -> Peer {
    let mut figures = BTreeMap::new();
    let mut put = |name: &str, r: &dyn Fn() -> Result<f64>| {
        if !wanted(name) {
            return;
        }
        match r() {
            Ok(v) => {
                figures.insert(name.to_string(), v);
            }
            Err(e) => eprintln!("candle {name}: {e}"),
        }
    };
    put("tiny_add_us", &|| tiny_add(quick, false));
    put("tiny_add_tape_us", &|| tiny_add(quick, true));
    // One run gives both halves; each is looked up on its own.
    let chain = std::cell::OnceCell::new();
    let half = |i: usize| -> Result<f64> {
        let r = chain.get_or_init(|| chain1000().map_err(|e| e.to_string()));
        r.clone().map(|(f, b): (f64, f64)| if i == 0 { f } else { b }).map_err(candle_core::Error::msg)
    };
    put("chain1000_fwd_us", &|| half(0));
    put("chain1000_bwd_us", &|| half(1));
    put("matmul256_gflops", &|| matmul_gflops(256));
    put("matmul1024_gflops", &|| matmul_gflops(1024));
    if !quick {
        put("matmul2048_gflops", &|| matmul_gflops(2048));
    }
    put("add16M_ms", &add16m_ms);
    put("sum16M_ms", &sum16m_ms);
    put("fused16M_ms", &|| fused16m_ms(false));
    put("fused16M_tape_ms", &|| fused16m_ms(true));
    put("mlp_step_ms", &mlp_step_ms);
    Peer { name: "candle".into(), version: format!("candle-core 0.11.1, {} threads", rayon_threads()), figures }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
