#!/usr/bin/env bash
# Fuzzes the `program` target for FUZZ_SECONDS (60 by default), as CI does:
#   bash fuzz/run-ci.sh
# Installs cargo-fuzz when it is missing. cargo-fuzz passes nightly-only -Z
# flags (sanitizer, coverage); RUSTC_BOOTSTRAP=1 lets the stable toolchain
# accept them. Exits non-zero on a crash, leaving the input in
# fuzz/artifacts/program/.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-60}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
# Outside the clone, so a fresh clone reuses the sanitizer build (about 9
# minutes on 2 cores the first time).
target_dir="${GRADTAPE_FUZZ_TARGET:-$HOME/.cache/gradtape/fuzz-target}"

# New inputs go to a scratch folder; the committed corpus is only read.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cargo fuzz build --target-dir "$target_dir" program
# -close_fd_mask=1: the programs print nothing worth keeping on stdout.
cargo fuzz run --target-dir "$target_dir" program "$scratch" corpus/program -- \
  -max_total_time="$seconds" -timeout=10 -close_fd_mask=1 -print_final_stats=1
