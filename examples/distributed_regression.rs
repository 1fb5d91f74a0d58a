//! The linear regression of `linear_regression.rs`, data-parallel on MPI:
//! each rank fits on its own shard of the 64 samples, and a
//! [`DistributedGradientTape`] averages the gradients, so every rank takes
//! the same step one process on all the data would.
//!
//! `cargo build --release --features mpi --example distributed_regression`,
//! then `mpirun -np 4 target/release/examples/distributed_regression [ITERS]`
//! (else `GRADTAPE_ITERS`, else 200 steps; 64 samples must split evenly).
//! Rank 0 prints the loss curve and the verdict of `linear_regression.rs`'s
//! own check; every rank exits with an error if the fit is off.

use std::error::Error as StdError;

use gradtape::*;
use gradtape::distributed::{self as hvd, DistributedGradientTape, ReduceOp};

// The data, the learning rate and the verdict are the one-process example's.
#[allow(dead_code)]
#[path = "linear_regression.rs"]
mod linear_regression;

const LEARNING_RATE: f64 = 0.5;

/// Rows `[rank·n/size, (rank+1)·n/size)` of a `[n]` tensor.
fn shard(t: &Tensor, rank: usize, size: usize) -> Result<Tensor> {
    let all = t.to_vec::<f32>()?;
    if all.len() % size != 0 {
        return Err(Error::Value(format!("{} samples do not split evenly over {size} ranks", all.len())));
    }
    let n = all.len() / size;
    from_slice(&all[rank * n..(rank + 1) * n], &[n])
}

/// Trains on this rank's shard; returns the report every rank agrees on.
fn run(steps: usize) -> Result<linear_regression::Report> {
    let (rank, size) = (hvd::rank()?, hvd::size()?);
    let (x_all, y_all) = linear_regression::data()?;
    let (x, y) = (shard(&x_all, rank, size)?, shard(&y_all, rank, size)?);
    // Different on every rank: broadcast_variables makes them rank 0's.
    let w = Variable::new(rank as f32)?;
    let b = Variable::new(-(rank as f32))?;
    hvd::broadcast_variables(&[&w, &b], 0)?;
    let mse = || -> Result<Tensor> {
        let pred = ((&w * &x)? + &b)?;
        (&pred - &y)?.square()?.reduce_mean()
    };
    // Equal shards: the mean of the shards' mean squared errors is the whole set's.
    let global_mse = || -> Result<f64> { hvd::allreduce(&mse()?, ReduceOp::Average)?.item() };
    let first_loss = global_mse()?;
    for step in 0..steps {
        let tape = GradientTape::new();
        let loss = tape.record(|_| mse())?;
        let grads = DistributedGradientTape::new(tape).gradient(&loss, &[&w, &b])?;
        for (v, g) in [&w, &b].into_iter().zip(grads) {
            let g = g.ok_or_else(|| Error::Value("the loss does not depend on a parameter".into()))?;
            v.assign_sub(&(&g * LEARNING_RATE)?)?;
        }
        if rank == 0 && (step % 20 == 0 || step + 1 == steps) {
            println!("step {step:4}  loss on rank 0's shard {:.6}", loss.item()?);
        }
    }
    let report = linear_regression::Report {
        steps,
        first_loss,
        last_loss: global_mse()?,
        w: w.to_vec::<f32>()?[0],
        b: b.to_vec::<f32>()?[0],
    };
    Ok(report)
}

fn iters() -> usize {
    let arg = std::env::args().nth(1).or_else(|| std::env::var("GRADTAPE_ITERS").ok());
    arg.and_then(|s| s.parse().ok()).unwrap_or(200)
}

fn main() -> std::result::Result<(), Box<dyn StdError>> {
    let _mpi = hvd::init()?;
    let report = run(iters())?;
    let verdict = report.check().map(|l| l.replace("linear_regression", "distributed_regression"));
    if hvd::rank()? == 0 {
        println!("{} ranks", hvd::size()?);
        match &verdict {
            Ok(line) => println!("{line}"),
            Err(why) => println!("{why}"),
        }
    }
    verdict?;
    Ok(())
}
