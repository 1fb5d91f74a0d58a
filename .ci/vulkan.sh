#!/usr/bin/env bash
# The Vulkan backend's CI, called by .ci/run: builds with `--features vulkan`
# and runs the whole suite twice, on the CPU (GRADTAPE_DEVICE=cpu) and on
# Mesa's lavapipe (GRADTAPE_DEVICE=vulkan), a conformant Vulkan 1.3 device
# that runs on the CPU.
#
# shaderc (vulkano-shaders' GLSL compiler) is built from source, about 15
# minutes on 2 cores, because Debian's packaged one is broken. The first run
# keeps the result, libshaderc_combined.a, in $SHADERC_CACHE; later runs point
# SHADERC_LIB_DIR at it and link it in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  # cmake, git, python3 and g++ build shaderc; libvulkan1 is the loader and
  # mesa-vulkan-drivers brings lavapipe.
  apt-get install -y --no-install-recommends cmake git python3 g++ libvulkan1 mesa-vulkan-drivers \
    || { apt-get update && apt-get install -y --no-install-recommends cmake git python3 g++ libvulkan1 mesa-vulkan-drivers; }
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gradtape/target}"
SHADERC_CACHE="${SHADERC_CACHE:-$HOME/.cache/gradtape/shaderc}"
mkdir -p "$CARGO_TARGET_DIR" "$SHADERC_CACHE"

if [ -f "$SHADERC_CACHE/libshaderc_combined.a" ]; then
  echo "::: shaderc: cached in $SHADERC_CACHE"
  export SHADERC_LIB_DIR="$SHADERC_CACHE"
else
  echo "::: shaderc: building from source (once; cached in $SHADERC_CACHE)"
  cargo build -p gradtape-vulkan --features vulkan
  lib=$(find "$CARGO_TARGET_DIR" -path '*/build/shaderc-sys-*/out/*' -name libshaderc_combined.a | head -n 1)
  if [ -n "$lib" ]; then
    cp "$lib" "$SHADERC_CACHE/libshaderc_combined.a.tmp"
    mv "$SHADERC_CACHE/libshaderc_combined.a.tmp" "$SHADERC_CACHE/libshaderc_combined.a"
    export SHADERC_LIB_DIR="$SHADERC_CACHE"
  else
    echo "shaderc built, but libshaderc_combined.a was not found to cache" >&2
  fi
fi

# Every feature but those needing more system libraries (an MPI feature would need MPI).
echo "::: API docs with the Vulkan backend (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --features gradtape/vulkan,gradtape-engine/vulkan,gradtape-vulkan/vulkan

echo "::: tests, --features vulkan, on the CPU"
GRADTAPE_DEVICE=cpu cargo test --workspace --features vulkan --no-fail-fast

echo "::: tests, --features vulkan, on lavapipe (the default engine is Vulkan)"
GRADTAPE_DEVICE=vulkan cargo test --workspace --features vulkan --no-fail-fast
