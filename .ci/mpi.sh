#!/usr/bin/env bash
# CI for the `mpi` feature (crates/gradtape-distributed): installs Open MPI
# and libclang (rsmpi's bindgen needs it), then builds and runs, on this one
# machine, the MPI suite (it launches itself under `mpirun --oversubscribe
# -np 1, 2 and 4`, plus the killed/stalled/panicking-rank scenarios) and
# the two distributed examples under `mpirun -np 4`. Exits non-zero on any
# failure; the last line is `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  if ! command -v mpirun >/dev/null || ! dpkg -s libopenmpi-dev libclang-dev >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends libopenmpi-dev openmpi-bin libclang-dev
  fi
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gradtape/target}"
# mpirun refuses to start as root (containers, CI) without both of these.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun --version | head -n 1

passed=0
failed=0
log="$CARGO_TARGET_DIR/mpi-ci.log"
mkdir -p "$CARGO_TARGET_DIR"
: >"$log"

# check NAME CMD...: one counted step; its output goes to the log, and to
# the console when it fails.
check() {
  local name="$1"
  shift
  local out
  out="$(mktemp)"
  if "$@" >"$out" 2>&1; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name (exit $?); its last lines:"
    tail -n 40 "$out"
    failed=$((failed + 1))
  fi
  cat "$out" >>"$log"
  rm -f "$out"
}

echo "::: build"
check "build gradtape-distributed (feature mpi), its tests and examples" \
  cargo build -p gradtape-distributed --features mpi --tests --examples
check "unit tests" cargo test -p gradtape-distributed --features mpi --lib
check "doc tests (compiled; they need mpirun to run)" cargo test -p gradtape-distributed --features mpi --doc
check "the facade's doc tests with the feature (README's MPI example)" cargo test -p gradtape --features mpi --doc
check "API docs, warnings denied" env RUSTDOCFLAGS="-D warnings -D rustdoc::broken_intra_doc_links" \
  cargo doc --no-deps -p gradtape-distributed --features mpi

echo "::: the MPI suite (mpirun -np 1, 2, 4 and the failure scenarios)"
suite="$(mktemp)"
timeout 1800 cargo test -p gradtape-distributed --features mpi --test mpi_suite >"$suite" 2>&1
grep -E '^(ok|FAIL) ' "$suite"
cat "$suite" >>"$log"
if summary="$(grep -E '^mpi suite: [0-9]+ passed, [0-9]+ failed' "$suite")"; then
  p="$(sed -E 's/^mpi suite: ([0-9]+) passed.*/\1/' <<<"$summary")"
  f="$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$summary")"
  passed=$((passed + p))
  failed=$((failed + f))
else
  echo "FAIL the MPI suite did not finish; its last lines:"
  tail -n 40 "$suite"
  failed=$((failed + 1))
fi
rm -f "$suite"

echo "::: the MPI suite's checks on a Vulkan engine (lavapipe), mpirun -np 2"
# Needs what .ci/vulkan.sh sets up (a built shaderc and Mesa's lavapipe);
# on a machine that has not run it yet this step says so and is skipped.
shaderc="${SHADERC_LIB_DIR:-$HOME/.cache/gradtape/shaderc}"
if [ -f "$shaderc/libshaderc_combined.a" ] && ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  vsuite="$(mktemp)"
  SHADERC_LIB_DIR="$shaderc" GRADTAPE_DEVICE=vulkan GRADTAPE_MPI_REQUIRE_VULKAN=1 \
    GRADTAPE_MPI_SUITE_NPS=2 GRADTAPE_MPI_SUITE_FAILURES=0 \
    timeout 1800 cargo test -p gradtape-distributed --features mpi,vulkan --test mpi_suite >"$vsuite" 2>&1
  grep -E '^(ok|FAIL) ' "$vsuite" | sed 's/^/vulkan: /'
  cat "$vsuite" >>"$log"
  if summary="$(grep -E '^mpi suite: [0-9]+ passed, [0-9]+ failed' "$vsuite")"; then
    passed=$((passed + $(sed -E 's/^mpi suite: ([0-9]+) passed.*/\1/' <<<"$summary")))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$summary")))
  else
    echo "FAIL the MPI suite on Vulkan did not finish; its last lines:"
    tail -n 40 "$vsuite"
    failed=$((failed + 1))
  fi
  rm -f "$vsuite"
else
  echo "skip: no built shaderc in $shaderc or no lavapipe (.ci/vulkan.sh installs both)"
fi

echo "::: the distributed examples under mpirun"
check "build the examples (release)" \
  cargo build --release --features mpi --example distributed_regression --example distributed_projectile
ex="$CARGO_TARGET_DIR/release/examples"
for np in 2 4; do
  check "mpirun -np $np distributed_regression" \
    timeout 600 mpirun --oversubscribe -np "$np" "$ex/distributed_regression"
done
check "mpirun -np 4 distributed_projectile" \
  timeout 600 mpirun --oversubscribe -np 4 "$ex/distributed_projectile"

echo "(every step's output is in $log)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
