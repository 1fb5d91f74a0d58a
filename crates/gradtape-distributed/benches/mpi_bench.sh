#!/usr/bin/env bash
# The MPI benchmarks of benches/RESULTS.md's "Across processes (MPI)" section,
# in one run: all-reduce of a 16M-float gradient on 2 and 4 ranks through
# gradtape-distributed and through a plain C MPI_Allreduce program (and
# torch.distributed's gloo backend when a Python with torch is given in
# TORCH_PYTHON), then the MLP step on 1, 2 and 4 ranks.
# Run from the repository root: crates/gradtape-distributed/benches/mpi_bench.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One thread per rank, so that 2 ranks on 2 cores do not fight over them.
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"
n="${ELEMENTS:-16777216}"
cargo build --release -p gradtape-distributed --features mpi --example bench_allreduce --example bench_mlp
ex="$CARGO_TARGET_DIR/release/examples"
plain="$CARGO_TARGET_DIR/plain_allreduce"
mpicc -O2 crates/gradtape-distributed/benches/plain_allreduce.c -o "$plain"
run() { mpirun --oversubscribe --bind-to none -np "$@"; }
for np in 2 4; do
  run "$np" "$plain" "$n" 20
  FRESH=1 run "$np" "$plain" "$n" 20
  run "$np" "$ex/bench_allreduce" "$n" 20
  if [ -n "${TORCH_PYTHON:-}" ]; then
    run "$np" "$TORCH_PYTHON" crates/gradtape-distributed/benches/gloo_allreduce.py "$n" 20
  fi
done
for np in 1 2 4; do
  run "$np" "$ex/bench_mlp" 200
done
