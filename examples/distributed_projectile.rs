//! The projectile simulation of `projectile.rs`, swept over scenarios across
//! MPI ranks: each scenario starts the gradient descent on the four launch
//! velocities from a different first guess (speed and angle), and the ranks
//! share the scenarios round-robin. An all-gather brings every scenario's
//! outcome to every rank; rank 0 prints the table and the best run's verdict.
//!
//! `cargo build --release --features mpi --example distributed_projectile`,
//! then `mpirun -np 4 target/release/examples/distributed_projectile [ITERS]`
//! (at most ITERS steps per scenario, else `GRADTAPE_ITERS`, else 60).
//! Every rank exits with an error unless the best scenario hits every target
//! by `projectile.rs`'s own tolerance.
//!
//! A sweep is embarrassingly parallel: the ranks talk once, at the end. The
//! same pattern runs an ensemble over uncertain parameters, or hyperparameter
//! search, on as many machines as `mpirun` is given.

use std::error::Error as StdError;
use std::path::PathBuf;

use gradtape::*;
use gradtape::distributed as hvd;

// The world, its systems, the loss and the verdict are the one-process example's.
#[allow(dead_code)]
#[path = "projectile.rs"]
mod projectile;

/// First guesses: launch speed (m/s) and angle (degrees), for all four particles.
const SCENARIOS: [(f64, f64); 8] =
    [(5.0, 45.0), (8.0, 30.0), (8.0, 60.0), (10.0, 20.0), (12.0, 45.0), (6.0, 70.0), (4.0, 10.0), (14.0, 35.0)];
const LEARNING_RATE: f64 = 0.1;

/// One scenario's outcome: `[scenario, steps, first loss, last loss, worst miss]`.
fn fly(scenario: usize, max_steps: usize) -> std::result::Result<[f64; 5], Box<dyn StdError>> {
    let (speed, deg) = SCENARIOS[scenario];
    let mut sim = projectile::Simulation::new()?;
    let sources = sim.launch_velocities();
    let rad = deg.to_radians();
    for v in &sources {
        v.assign([(speed * rad.cos()) as f32, (speed * rad.sin()) as f32])?;
    }
    let srcs: Vec<&dyn Differentiable> = sources.iter().map(|v| v as &dyn Differentiable).collect();
    let mut first = None;
    let mut steps = 0;
    loop {
        let tape = GradientTape::new();
        let loss = tape.record(|_| {
            sim.rollout()?;
            sim.loss()
        })?;
        let value = loss.item()?;
        let worst = sim.misses()?.into_iter().fold(0.0, f64::max);
        let first_loss = *first.get_or_insert(value);
        let report = projectile::Report { steps, first_loss, last_loss: value, worst_miss: worst, svg: PathBuf::new() };
        if report.check().is_ok() || steps == max_steps {
            return Ok([scenario as f64, steps as f64, first_loss, value, worst]);
        }
        for (v, g) in sources.iter().zip(tape.gradients(&[&loss], &srcs)?) {
            let g = g.ok_or("the loss does not depend on an initial velocity")?;
            v.assign_sub(&(&g * LEARNING_RATE)?)?;
        }
        steps += 1;
    }
}

fn iters() -> usize {
    let arg = std::env::args().nth(1).or_else(|| std::env::var("GRADTAPE_ITERS").ok());
    arg.and_then(|s| s.parse().ok()).unwrap_or(60)
}

fn main() -> std::result::Result<(), Box<dyn StdError>> {
    let _mpi = hvd::init()?;
    let (rank, size) = (hvd::rank()?, hvd::size()?);
    let max_steps = iters();
    let mut mine = Vec::new();
    for s in (rank..SCENARIOS.len()).step_by(size) {
        mine.extend(fly(s, max_steps)?);
    }
    // Ranks may hold different numbers of scenarios: allgather takes uneven rows.
    let rows = mine.len() / 5;
    let all = hvd::allgather(&from_slice(&mine, &[rows, 5])?)?.to_vec::<f64>()?;
    let mut table: Vec<&[f64]> = all.chunks(5).collect();
    table.sort_by(|a, b| a[0].total_cmp(&b[0]));
    let best = table.iter().min_by(|a, b| a[4].total_cmp(&b[4])).ok_or("no scenarios")?;
    let report = projectile::Report {
        steps: best[1] as usize,
        first_loss: best[2],
        last_loss: best[3],
        worst_miss: best[4],
        svg: PathBuf::from("(not drawn in the sweep)"),
    };
    let verdict = report.check().map(|l| l.replace("projectile:", "distributed_projectile: best scenario:"));
    if rank == 0 {
        println!("{} scenarios on {size} ranks", SCENARIOS.len());
        println!("scenario  speed  angle  rank  steps   first loss    last loss  worst miss");
        for row in &table {
            let s = row[0] as usize;
            let (speed, deg) = SCENARIOS[s];
            println!(
                "{s:8}  {speed:5.1}  {deg:5.1}  {:4}  {:5}  {:11.4}  {:11.6}  {:8.4} m",
                s % size,
                row[1] as usize,
                row[2],
                row[3],
                row[4]
            );
        }
        match &verdict {
            Ok(line) => println!("{line}"),
            Err(why) => println!("{why}"),
        }
    }
    verdict?;
    Ok(())
}
