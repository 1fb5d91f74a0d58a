//! The standard workloads of benches/peers/peers.py, under the same names
//! and with the same definitions. Every timing includes the work: the flush
//! (and on Vulkan the fence) is inside the timed region, and gradients are
//! read back before the clock stops.

use std::hint::black_box;
use std::time::Instant;

use gradtape::{DType, Engine, Result, Tensor, Unconnected, Variable};

/// Median seconds of `f` over `reps` runs after `warm` warm-up runs
/// (generic over the error, so candle's workloads time the same way).
pub fn median_time<E>(mut f: impl FnMut() -> std::result::Result<(), E>, reps: usize, warm: usize) -> std::result::Result<f64, E> {
    for _ in 0..warm {
        f()?;
    }
    let mut ts = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        f()?;
        ts.push(t.elapsed().as_secs_f64());
    }
    Ok(median(ts))
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Microseconds per call, as peers.py's `per_call_us`: batches of calls, median batch.
pub fn per_call_us<E>(mut f: impl FnMut() -> std::result::Result<(), E>, calls: usize, batch: usize) -> std::result::Result<f64, E> {
    for _ in 0..batch {
        f()?;
    }
    let mut ts = Vec::new();
    for _ in 0..calls / batch {
        let t = Instant::now();
        for _ in 0..batch {
            f()?;
        }
        ts.push(t.elapsed().as_secs_f64() / batch as f64);
    }
    Ok(median(ts) * 1e6)
}

fn reps_for(n: usize) -> usize {
    (4e9 / (2.0 * (n as f64).powi(3))).clamp(5.0, 200.0) as usize
}

/// A deterministic uniform [0, 1) buffer (xorshift), so runs are repeatable.
pub fn uniform(e: &Engine, dims: &[usize], seed: u64) -> Result<Tensor> {
    e.from_vec(uniform_values(dims.iter().product(), seed), dims)
}

/// The `n` values of [`uniform`], for a peer that builds its own tensor.
pub fn uniform_values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

pub fn tiny_add_us(e: &Engine, quick: bool) -> Result<f64> {
    let a = e.ones(&[4], DType::F32)?;
    let b = e.ones(&[4], DType::F32)?;
    add_per_call_us(e, &a, &b, if quick { 10_000 } else { 50_000 })
}

pub fn tiny_add_tape_us(e: &Engine, quick: bool) -> Result<f64> {
    let a = e.ones(&[4], DType::F32)?;
    let b = e.ones(&[4], DType::F32)?;
    let tape = e.gradient_tape(false, true);
    let _rec = tape.scope()?;
    tape.watch(&a)?;
    add_per_call_us(e, &a, &b, if quick { 10_000 } else { 20_000 })
}

/// One `a + b` and its flush, per call.
fn add_per_call_us(e: &Engine, a: &Tensor, b: &Tensor, iters: usize) -> Result<f64> {
    per_call_us(
        || {
            let c = (a + b)?;
            e.flush();
            black_box(c);
            Ok(())
        },
        iters,
        1000,
    )
}

/// (forward µs, backward µs) of a 1000-op chain, median of runs 4..15.
pub fn chain1000_us(e: &Engine) -> Result<(f64, f64)> {
    let w = e.fill(&[4], 1.0001)?;
    let c = e.fill(&[4], 0.001)?;
    let (mut f, mut g) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let x = e.ones(&[4], DType::F32)?;
        let tape = e.gradient_tape(false, true);
        let t0 = Instant::now();
        let loss = tape.record(|t| {
            t.watch(&x)?;
            let mut y = x.clone();
            for i in 0..1000 {
                y = if i % 2 == 0 { y.mul(&w)? } else { y.add(&c)? };
            }
            y.reduce_sum()
        })?;
        e.flush();
        let t1 = Instant::now();
        let grad = tape.gradient(&loss, &x)?.expect("x is connected");
        black_box(grad.data());
        let t2 = Instant::now();
        f.push((t1 - t0).as_secs_f64());
        g.push((t2 - t1).as_secs_f64());
    }
    Ok((median(f[3..].to_vec()) * 1e6, median(g[3..].to_vec()) * 1e6))
}

pub fn matmul_gflops(e: &Engine, n: usize) -> Result<f64> {
    let a = uniform(e, &[n, n], 1)?;
    let b = uniform(e, &[n, n], 2)?;
    let t = median_time(
        || {
            let c = a.matmul(&b)?;
            black_box(c.data());
            Ok(())
        },
        reps_for(n),
        5,
    )?;
    Ok(2.0 * (n as f64).powi(3) / t / 1e9)
}

/// GFLOP/s of `[m, k] x [k, n]` in `dtype` (float32 or float64), the
/// product read back to the host each time as the square ones are.
pub fn matmul_shape_gflops(e: &Engine, m: usize, k: usize, n: usize, dtype: DType) -> Result<f64> {
    let a = uniform(e, &[m, k], 1)?.cast(dtype)?;
    let b = uniform(e, &[k, n], 2)?.cast(dtype)?;
    let flops = 2.0 * (m * k * n) as f64;
    let reps = (4e9 / flops).clamp(5.0, 2000.0) as usize;
    let t = median_time(
        || {
            let c = a.matmul(&b)?;
            black_box(c.data());
            Ok(())
        },
        reps,
        5,
    )?;
    Ok(flops / t / 1e9)
}

/// The matmul shapes of issue 13: square 64..2048 and the MLP's two
/// (64x256 . 256x256, 64x256 . 256x10), in float32 and float64, as
/// `(name, m, k, n, dtype)`. The float32 squares of 256/1024/2048 keep their
/// old names (`matmul{n}_gflops`).
pub const MATMUL_SHAPES: &[(&str, usize, usize, usize, DType)] = &[
    ("matmul64_gflops", 64, 64, 64, DType::F32),
    ("matmul_mlp1_gflops", 64, 256, 256, DType::F32),
    ("matmul_mlp2_gflops", 64, 256, 10, DType::F32),
    ("matmul64_f64_gflops", 64, 64, 64, DType::F64),
    ("matmul256_f64_gflops", 256, 256, 256, DType::F64),
    ("matmul1024_f64_gflops", 1024, 1024, 1024, DType::F64),
    ("matmul2048_f64_gflops", 2048, 2048, 2048, DType::F64),
    ("matmul_mlp1_f64_gflops", 64, 256, 256, DType::F64),
    ("matmul_mlp2_f64_gflops", 64, 256, 10, DType::F64),
];

pub fn add16m_ms(e: &Engine) -> Result<f64> {
    let n = 16 << 20;
    let a = uniform(e, &[n], 3)?;
    let b = uniform(e, &[n], 4)?;
    Ok(median_time(
        || {
            let c = (&a + &b)?;
            e.flush();
            black_box(c);
            Ok(())
        },
        10,
        3,
    )? * 1e3)
}

pub fn sum16m_ms(e: &Engine) -> Result<f64> {
    let n = 16 << 20;
    let a = uniform(e, &[n], 5)?;
    Ok(median_time(
        || {
            black_box(a.reduce_sum()?.data());
            Ok(())
        },
        10,
        3,
    )? * 1e3)
}

pub fn mlp_step_ms(e: &Engine) -> Result<f64> {
    let x = uniform(e, &[64, 256], 6)?;
    let y = uniform(e, &[64, 10], 7)?;
    let w1 = Variable::from_tensor(&(uniform(e, &[256, 256], 8)? * 0.1)?)?;
    let w2 = Variable::from_tensor(&(uniform(e, &[256, 10], 9)? * 0.1)?)?;
    Ok(median_time(
        || {
            let tape = e.gradient_tape(false, true);
            let loss = tape.record(|_| {
                let h = x.matmul(&w1.read())?.relu()?;
                let d = (h.matmul(&w2.read())? - &y)?;
                d.pow(2)?.reduce_mean()
            })?;
            let g = tape.gradients_with(&[&loss], &[&w1, &w2], None, Unconnected::None)?;
            let (g1, g2) = (g[0].as_ref().expect("connected"), g[1].as_ref().expect("connected"));
            w1.assign_sub(&(g1 * 0.01)?)?;
            w2.assign_sub(&(g2 * 0.01)?)?;
            Ok(())
        },
        50,
        5,
    )? * 1e3)
}

/// The fused-chain workload's operands: x, w, b, s, t of 16M float32 each.
pub fn fused_operands(e: &Engine) -> Result<[Tensor; 5]> {
    let n = 16 << 20;
    Ok([uniform(e, &[n], 10)?, uniform(e, &[n], 11)?, uniform(e, &[n], 12)?, uniform(e, &[n], 13)?, uniform(e, &[n], 14)?])
}

/// `relu(x * w + b) * s - t` on 16M float32, in one expression, flushed;
/// with `tape`, recorded on a tape that watches x (forward only).
pub fn fused16m_ms(e: &Engine, tape: bool) -> Result<f64> {
    let [x, w, b, s, t] = fused_operands(e)?;
    let expr = || (((&x * &w)? + &b)?.relu()? * &s)? - &t;
    Ok(median_time(
        || {
            let y = if tape {
                let tp = e.gradient_tape(false, true);
                tp.record(|tp| {
                    tp.watch(&x)?;
                    expr()
                })?
            } else {
                expr()?
            };
            e.flush();
            black_box(y);
            Ok(())
        },
        10,
        3,
    )? * 1e3)
}
