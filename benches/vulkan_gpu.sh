#!/usr/bin/env bash
# On a machine with a GPU: gradtape's Vulkan bench beside PyTorch (CUDA,
# TF32 off) on the same workloads, as a Markdown table in $OUT (or ./).
#
#   bash benches/vulkan_gpu.sh [path/to/prebuilt/vulkan-bench-binary]
#
# Without an argument it builds the bench (`cargo bench --no-run`, which
# needs cmake or SHADERC_LIB_DIR, see .ci/vulkan.sh). A machine without a
# Vulkan loader can take one from .gl/*.deb (see the device notes); with no
# ICD found, the NVIDIA one is pointed at explicitly.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir="${OUT:-.}"
table="$out_dir/vulkan_gpu.md"

if ! ldconfig -p | grep -q libvulkan.so.1 && ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nv_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nv_icd" ]; then
  export VK_DRIVER_FILES="$nv_icd"
fi

bin="${1:-}"
if [ -z "$bin" ]; then
  bin=$(cargo bench --features vulkan --bench vulkan --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "vulkan" and m.get("executable"):
        print(m["executable"])' | tail -n 1)
fi

echo "::: gradtape (Vulkan)"
ours=$(GRADTAPE_DEVICE=vulkan GRADTAPE_BENCH_TABLE=1 "$bin")
echo "$ours"

echo "::: PyTorch (CUDA, TF32 off)"
theirs=$(python3 - <<'PY'
import time, torch
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")
print("# device:", torch.cuda.get_device_name(0), "torch", torch.__version__)
def timed(f, amount, unit, scale):
    f(); torch.cuda.synchronize()
    ts = []
    t0 = time.perf_counter()
    while len(ts) < 5 or (time.perf_counter() - t0 < 3 and len(ts) < 50):
        t = time.perf_counter(); f(); torch.cuda.synchronize(); ts.append(time.perf_counter() - t)
    ts.sort(); med = ts[len(ts) // 2]
    return med * 1e3, amount / med / scale, unit
for n in (1024, 4096):
    a = torch.randn(n, n, device=dev); b = torch.randn(n, n, device=dev)
    ms, r, u = timed(lambda: a @ b, 2 * n ** 3, "TFLOP/s", 1e12)
    print(f"matmul_f32_{n} {ms:.3f} {r:.3f} {u}")
n = 16 << 20
a = torch.randn(n, device=dev); b = torch.randn(n, device=dev)
ms, r, u = timed(lambda: a + b, 3 * 4 * n, "GB/s", 1e9)
print(f"add_f32_16M {ms:.3f} {r:.3f} {u}")
PY
)
echo "$theirs"

{
  echo "| workload | gradtape Vulkan ms | rate | PyTorch CUDA ms | rate | gradtape / PyTorch |"
  echo "| --- | --- | --- | --- | --- | --- |"
  while read -r name ms rate unit; do
    case "$name" in "#"*|"") continue ;; esac
    read -r _ tms trate _ < <(grep "^$name " <<<"$theirs" || echo "- - - -")
    ratio=$(python3 -c "print(f'{$rate / $trate:.2f}x')" 2>/dev/null || echo "-")
    echo "| $name | $ms | $rate $unit | $tms | $trate $unit | $ratio |"
  done <<<"$ours"
  echo
  grep '^# device' <<<"$ours" || true
  grep '^# device' <<<"$theirs" || true
} | tee "$table"
