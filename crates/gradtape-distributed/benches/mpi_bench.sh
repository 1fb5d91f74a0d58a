#!/usr/bin/env bash
# The MPI benchmarks of benches/RESULTS.md's "Across processes (MPI)" section,
# in one run. All-reduce of a 16M-float gradient on 2 and 4 ranks: REPS
# rounds, each running in turn the plain C MPI_Allreduce program (reusing
# its output, then with a fresh one per call), gradtape-distributed, and
# torch.distributed's gloo backend when a Python with torch is given in
# TORCH_PYTHON (A B C A B C ...), so that a machine shared with other work
# slows them alike. Then the MLP step on 1, 2 and 4 ranks, REPS rounds.
# Each run prints its median; the summary at the end gives, per variant,
# the median of the rounds' medians and gradtape's ratio to plain MPI
# (the median of the rounds' ratios), with the load average seen.
# Run from the repository root: crates/gradtape-distributed/benches/mpi_bench.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One thread per rank, so that 2 ranks on 2 cores do not fight over them.
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"
n="${ELEMENTS:-16777216}"
iters="${ITERS:-10}"
reps="${REPS:-5}"
cargo build --release -p gradtape-distributed --features mpi --example bench_allreduce --example bench_mlp
ex="$CARGO_TARGET_DIR/release/examples"
plain="$CARGO_TARGET_DIR/plain_allreduce"
mpicc -O2 crates/gradtape-distributed/benches/plain_allreduce.c -o "$plain"
log="$CARGO_TARGET_DIR/mpi_bench.log"
: >"$log"
run() { mpirun --oversubscribe --bind-to none -np "$@" | tee -a "$log"; }
load() { echo "load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"; }
date -u | tee -a "$log"
for np in 2 4; do
  for rep in $(seq "$reps"); do
    echo "round $rep np=$np" | tee -a "$log"
    load
    run "$np" "$plain" "$n" "$iters"
    FRESH=1 run "$np" "$plain" "$n" "$iters"
    run "$np" "$ex/bench_allreduce" "$n" "$iters"
    if [ -n "${TORCH_PYTHON:-}" ]; then
      run "$np" "$TORCH_PYTHON" -W ignore crates/gradtape-distributed/benches/gloo_allreduce.py "$n" "$iters"
    fi
  done
done
for rep in $(seq "$reps"); do
  load
  for np in 1 2 4; do
    run "$np" "$ex/bench_mlp" 300
  done
done
load
date -u | tee -a "$log"
python3 crates/gradtape-distributed/benches/summarize.py "$log"
