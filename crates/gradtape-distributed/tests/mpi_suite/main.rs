//! The MPI suite: collectives on every dtype, broadcast_variables, the
//! tape's fusion, its threshold and `None` mask, Vulkan, equivalence with
//! one process, mismatches, and ranks that die or stall.
//!
//! `cargo test -p gradtape-distributed --features mpi --test mpi_suite` runs
//! it. Started outside `mpirun` (no `OMPI_COMM_WORLD_SIZE`), this binary is
//! the *launcher*: it runs itself as the workers under `mpirun --oversubscribe
//! -np N` for N = 1, 2 and 4, then in the failure scenarios, reads each
//! rank's `RESULT` lines, and prints `N passed, N failed` (exit status 1 on
//! any failure). A check passes when every rank reports it passed.

mod checks;
mod failures;
mod fusion;
mod training;

use std::io::Read;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use gradtape_distributed as hvd;

/// One check's outcome on this rank.
pub type Outcome = Result<String, String>;

/// Prints this rank's verdict in the form the launcher parses.
pub fn report(name: &str, outcome: Outcome) {
    let rank = hvd::rank().map_or_else(|_| "?".to_string(), |r| r.to_string());
    match outcome {
        Ok(note) => println!("RESULT rank={rank} name={name} ok {note}"),
        Err(why) => println!("RESULT rank={rank} name={name} FAIL {}", why.replace('\n', " | ")),
    }
}

/// What an `mpirun` run printed, and how it ended.
pub struct Run {
    pub stdout: String,
    pub code: Option<i32>,
    pub elapsed: Duration,
    pub timed_out: bool,
}

/// `mpirun --oversubscribe -np N [extra] <this binary> <mode>`, killed after `limit`.
pub fn mpirun(np: usize, extra: &[&str], mode: &str, env: &[(&str, &str)], limit: Duration) -> Run {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let mut cmd = Command::new("mpirun");
    cmd.args(["--oversubscribe", "-np", &np.to_string()]).args(extra).arg(exe).arg(mode);
    // Containers and CI run as root, which mpirun refuses without these.
    cmd.env("OMPI_ALLOW_RUN_AS_ROOT", "1").env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("mpirun starts (is Open MPI installed? see .ci/mpi.sh)");
    let mut out = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait().expect("mpirun can be waited for") {
            break st;
        }
        if start.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("mpirun can be waited for");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let elapsed = start.elapsed();
    let stdout = reader.join().unwrap_or_default();
    Run { stdout, code: status.code(), elapsed, timed_out }
}

/// The checks `ranks` reported in `stdout`: pass when all of them said ok.
fn tally(label: &str, stdout: &str, ranks: &[usize], passed: &mut usize, failed: &mut usize) {
    let mut names: Vec<String> = Vec::new();
    for line in stdout.lines().filter(|l| l.starts_with("RESULT ")) {
        if let Some(n) = line.split(" name=").nth(1).and_then(|s| s.split(' ').next()) {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_string());
            }
        }
    }
    if names.is_empty() {
        println!("FAIL {label}: no rank reported any result");
        *failed += 1;
        return;
    }
    for name in names {
        let mut bad = Vec::new();
        let mut note = String::new();
        for r in ranks {
            let prefix = format!("RESULT rank={r} name={name} ");
            match stdout.lines().find(|l| l.starts_with(&prefix)) {
                Some(l) if l[prefix.len()..].starts_with("ok") => note = l[prefix.len() + 2..].trim().to_string(),
                Some(l) => bad.push(format!("rank {r}: {}", &l[prefix.len()..])),
                None => bad.push(format!("rank {r}: no result")),
            }
        }
        if bad.is_empty() {
            println!("ok   {label} {name} {note}");
            *passed += 1;
        } else {
            println!("FAIL {label} {name}: {}", bad.join("; "));
            *failed += 1;
        }
    }
}

/// `GRADTAPE_MPI_SUITE_NPS` (rank counts, default `1,2,4`) and
/// `GRADTAPE_MPI_SUITE_FAILURES` (`0` skips the failure scenarios), for a
/// shorter second pass such as the one on Vulkan in `.ci/mpi.sh`.
fn plan() -> (Vec<usize>, bool) {
    let nps = std::env::var("GRADTAPE_MPI_SUITE_NPS").ok().map_or_else(
        || vec![1, 2, 4],
        |s| s.split(',').map(|n| n.trim().parse().expect("GRADTAPE_MPI_SUITE_NPS: rank counts, as 1,2,4")).collect(),
    );
    let failures = std::env::var("GRADTAPE_MPI_SUITE_FAILURES").map_or(true, |s| s.trim() != "0");
    (nps, failures)
}

fn launcher() -> ExitCode {
    let (mut passed, mut failed) = (0, 0);
    let (nps, with_failures) = plan();
    for np in nps {
        let run = mpirun(np, &[], "checks", &[], Duration::from_secs(600));
        let label = format!("np={np}");
        tally(&label, &run.stdout, &(0..np).collect::<Vec<_>>(), &mut passed, &mut failed);
        if run.code != Some(0) {
            println!("FAIL {label}: mpirun exited with {:?} after {:.1} s (timed out: {})", run.code, run.elapsed.as_secs_f64(), run.timed_out);
            failed += 1;
        }
    }
    for np in if with_failures { vec![2, 4] } else { vec![] } {
        for (label, ok, note) in failures::scenarios(np) {
            if ok {
                println!("ok   np={np} {label} {note}");
                passed += 1;
            } else {
                println!("FAIL np={np} {label}: {note}");
                failed += 1;
            }
        }
    }
    println!("mpi suite: {passed} passed, {failed} failed");
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn main() -> ExitCode {
    if std::env::var_os("OMPI_COMM_WORLD_SIZE").is_none() {
        return launcher();
    }
    let mode = std::env::args().nth(1).unwrap_or_default();
    let guard = match hvd::init() {
        Ok(g) => g,
        Err(e) => {
            println!("RESULT rank=? name=init FAIL {e}");
            return ExitCode::FAILURE;
        }
    };
    match mode.as_str() {
        "checks" => {
            checks::run_all();
            training::run_all();
            fusion::run_all();
        }
        other => failures::worker(other),
    }
    drop(guard);
    ExitCode::SUCCESS
}
