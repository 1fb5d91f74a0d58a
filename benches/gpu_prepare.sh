#!/usr/bin/env bash
# Prepares one call's worth of work for a lent GPU machine, on the build
# machine (../shared/device/README.md has why it goes this way):
#
#   bash benches/gpu_prepare.sh
#
# builds, in release with `--features vulkan`, the Vulkan bench and the test
# binaries that matter on a GPU (parity with the CPU, the golden cases,
# gradients, faults, the device layer's steady state), strips and packs
# them into .gpu/ with .gpu/run.sh, and fetches the Vulkan loader into .gl/
# (both git-ignored). Then one device call does it all:
#
#   run  command: bash .gpu/run.sh   carry: [".gl", ".gpu"]
#
# run.sh unpacks the loader, runs each test binary on the Vulkan device
# (a log each under $OUT/tests/), then benches/vulkan_gpu.sh, which puts the
# bench beside PyTorch/cuBLAS and writes $OUT/vulkan_gpu.md. Its figures go
# into benches/RESULTS.md with the card, the date and the commit.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gradtape/target}"
shaderc="${SHADERC_CACHE:-$HOME/.cache/gradtape/shaderc}"
if [ -z "${SHADERC_LIB_DIR:-}" ] && [ -f "$shaderc/libshaderc_combined.a" ]; then
  export SHADERC_LIB_DIR="$shaderc"
fi

executables() {
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["target"]["name"], m["executable"])'
}

tests=(vulkan_parity vulkan_faults gradients higher_order conformance_constant conformance_jacobian
  conformance_matmul_numpy conformance_reduce_reshape conformance_stack_concat conformance_tape
  conformance_tape2 conformance_variables)
args=()
for t in "${tests[@]}"; do args+=(--test "$t"); done

rm -rf .gpu
mkdir -p .gpu/tests
echo "::: building the test binaries (release, --features vulkan)"
cargo test --release --features vulkan --no-run --message-format=json "${args[@]}" | executables \
  | while read -r name exe; do cp "$exe" ".gpu/tests/$name"; done
cargo test --release --features vulkan -p gradtape-vulkan --no-run --message-format=json --test steady_state \
  | executables | while read -r name exe; do cp "$exe" ".gpu/tests/$name"; done
echo "::: building the bench"
cargo bench --features vulkan --bench vulkan --no-run --message-format=json | executables \
  | while read -r name exe; do [ "$name" = vulkan ] && cp "$exe" .gpu/vulkan-bench; done
strip .gpu/vulkan-bench .gpu/tests/*
# About 96 MB of binaries that share most of their code: packed (xz, with a
# window that spans them all) they are about 7 MB, under the 64 MiB a
# device call carries.
tar -C .gpu -cf - vulkan-bench tests | xz -9 -T2 > .gpu/bins.tar.xz
rm -rf .gpu/vulkan-bench .gpu/tests

cat > .gpu/run.sh <<'EOF'
#!/usr/bin/env bash
# Written by benches/gpu_prepare.sh; runs on the GPU machine from the repository root.
set -uo pipefail
out="${OUT:-.gpu/out}"
mkdir -p "$out/tests"
tar -C .gpu -xJf .gpu/bins.tar.xz
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nv_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nv_icd" ]; then
  export VK_DRIVER_FILES="$nv_icd"
fi
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/card.txt"
for t in .gpu/tests/*; do
  name=$(basename "$t")
  GRADTAPE_DEVICE=vulkan timeout 120 "$t" --test-threads=4 >"$out/tests/$name.log" 2>&1
  echo "$name: exit $? ($(grep -E '^test result' "$out/tests/$name.log" | tail -n 1))"
done | tee "$out/tests.txt"
OUT="$out" bash benches/vulkan_gpu.sh .gpu/vulkan-bench
EOF
chmod +x .gpu/run.sh

if ! ls .gl/*.deb >/dev/null 2>&1; then
  echo "::: fetching the Vulkan loader into .gl/"
  bash ../shared/device/fetch-vulkan-loader.sh
fi
du -sh .gpu .gl
