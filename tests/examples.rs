//! The worked examples' own outcome checks, run in process with small step
//! budgets. Each example keeps its logic in a `run` function and its verdict
//! in `Report::check`, which its `main` prints and turns into the exit code;
//! the test compiles the same file as a module and calls the same two
//! functions, so nothing is duplicated and no nested `cargo run` is needed.

use std::path::PathBuf;

// `main` and the argument parsing are the only parts a test does not call.
#[allow(dead_code)]
#[path = "../examples/linear_regression.rs"]
mod linear_regression;
#[allow(dead_code)]
#[path = "../examples/projectile.rs"]
mod projectile;
#[allow(dead_code)]
#[path = "../examples/xor_mlp.rs"]
mod xor_mlp;

fn pass(verdict: Result<String, String>) {
    match verdict {
        Ok(line) => println!("{line}"),
        Err(why) => panic!("{why}"),
    }
}

#[test]
fn linear_regression_recovers_w_and_b() {
    let report = linear_regression::run(40).expect("training runs");
    pass(report.check());
}

#[test]
fn xor_mlp_reaches_full_accuracy() {
    let report = xor_mlp::run(100).expect("training runs");
    pass(report.check());
}

#[test]
fn projectile_hits_its_targets() {
    let svg = std::env::temp_dir().join(format!("gradtape-projectile-{}.svg", std::process::id()));
    let report = projectile::run(40, &svg).expect("the simulation runs");
    pass(report.check());
    let plot = std::fs::read_to_string(&svg).expect("the plot was written");
    // Four particles, drawn before and after.
    assert_eq!(plot.matches("<polyline").count(), 8);
    let _ = std::fs::remove_file(PathBuf::from(&svg));
}

/// The reason the example runs its schedule single-threaded: a tape records
/// only the ops of the thread that started it, so a rollout on another
/// thread leaves the initial velocities unconnected to the loss.
#[test]
fn a_rollout_on_another_thread_is_not_on_the_tape() {
    let mut sim = projectile::Simulation::new().expect("the simulation builds");
    let sources = sim.launch_velocities();
    let tape = gradtape::GradientTape::new();
    let loss = tape
        .record(|_| {
            std::thread::scope(|s| s.spawn(|| sim.rollout()).join().expect("the rollout thread ends"))?;
            sim.loss()
        })
        .expect("the rollout runs");
    let grad = tape.gradient(&loss, &sources[0]).expect("the tape answers");
    assert!(grad.is_none(), "ops from another thread reached this thread's tape");
}
