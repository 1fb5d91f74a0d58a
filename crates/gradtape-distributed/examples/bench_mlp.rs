//! The MLP training step of the benchmark harness (`mlp_step_ms`: a
//! 64×256 batch through 256→256 relu → 10, mean squared error, SGD), data-
//! parallel: weak scaling, each rank keeps its batch of 64. Per step it
//! times the local part (forward, backward, update) and the communication
//! (`allreduce_gradients`: handshake, `None` mask and one fused all-reduce of
//! the 68,096 weights' gradients) separately; their sum is the step.
//!
//! `mpirun -np N target/release/examples/bench_mlp [STEPS]`; rank 0 prints the
//! medians. `benches/mpi_bench.sh` runs it on 1, 2 and 4 ranks.

use std::time::Instant;

use gradtape_distributed::{self as hvd, ReduceOp};
use gradtape_engine::{Differentiable, Engine, Tensor, Variable};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn uniform(e: &Engine, dims: &[usize], seed: u64) -> Result<Tensor, gradtape_core::Error> {
    let n: usize = dims.iter().product();
    let mut s = seed;
    let v: Vec<f32> = (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect();
    e.from_vec(v, dims)
}

fn main() -> Result<(), gradtape_core::Error> {
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let _mpi = hvd::init()?;
    let (rank, size) = (hvd::rank()?, hvd::size()?);
    let e = Engine::cpu();
    // Each rank its own shard of the data; the same initial weights.
    let x = uniform(&e, &[64, 256], 6 + 1000 * rank as u64)?;
    let y = uniform(&e, &[64, 10], 7 + 1000 * rank as u64)?;
    let w1 = Variable::from_tensor(&(uniform(&e, &[256, 256], 8)? * 0.1)?)?;
    let w2 = Variable::from_tensor(&(uniform(&e, &[256, 10], 9)? * 0.1)?)?;
    let sources: [&dyn Differentiable; 2] = [&w1, &w2];
    let (mut local, mut comm) = (Vec::new(), Vec::new());
    for i in 0..steps + 10 {
        let t0 = Instant::now();
        let tape = e.gradient_tape(false, true);
        let loss = tape.record(|_| {
            let h = x.matmul(&w1.read())?.relu()?;
            let d = (h.matmul(&w2.read())? - &y)?;
            d.pow(2)?.reduce_mean()
        })?;
        let g = tape.gradients(&[&loss], &sources)?;
        // Forces the backward pass, so its time is not counted as communication.
        for g in g.iter().flatten() {
            g.try_data()?;
        }
        let t1 = Instant::now();
        let g = hvd::allreduce_gradients(&g, &sources, ReduceOp::Average)?;
        let t2 = Instant::now();
        let (g1, g2) = (g[0].as_ref().expect("connected"), g[1].as_ref().expect("connected"));
        w1.assign_sub(&(g1 * 0.01)?)?;
        w2.assign_sub(&(g2 * 0.01)?)?;
        let t3 = Instant::now();
        if i >= 10 {
            local.push((t1 - t0 + (t3 - t2)).as_secs_f64());
            comm.push((t2 - t1).as_secs_f64());
        }
    }
    let steps_ms: Vec<f64> = local.iter().zip(&comm).map(|(a, b)| (a + b) * 1e3).collect();
    let (step, l, c) = (median(steps_ms), median(local) * 1e3, median(comm) * 1e3);
    // Every rank's medians, so that the slowest rank is visible.
    let mine = e.from_vec(vec![step, l, c], &[1, 3])?;
    let all = hvd::allgather(&mine)?.to_vec::<f64>()?;
    if rank == 0 {
        let worst = all.chunks(3).map(|r| r[0]).fold(0.0, f64::max);
        println!(
            "mlp step np={size}: median {step:.3} ms (local {l:.3} ms + communication {c:.3} ms = {:.0}% communication); slowest rank's median {worst:.3} ms",
            100.0 * c / (l + c)
        );
    }
    Ok(())
}
