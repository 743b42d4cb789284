#!/usr/bin/env bash
# Checks isobench on a machine with an NVIDIA GPU and PyTorch: `isobench doctor`, then a GPU
# benchmark between two commits of a small repository made here (base multiplies matrices in
# float32, head in bfloat16), through a dataset. Usage: scripts/gpu-check.sh [BIN] [OUTDIR]
set -euo pipefail
bin=$(realpath "${1:-bin/isobench}")
out=${2:-$(mktemp -d)}
mkdir -p "$out"
. "$(dirname "$0")/gpu-workspace.sh"

echo "== isobench doctor"
"$bin" doctor | tee "$out/doctor.txt"

new_repo
cat > matmul.py <<'PY'
import torch
DTYPE = torch.float32
def step(a, b):
    return a @ b
PY
git add -A; git commit -qm "Multiply in float32"
sed -i 's/DTYPE = torch.float32/DTYPE = torch.bfloat16/' matmul.py
git commit -qam "Multiply in bfloat16 on tensor cores"

new_workspace gpu-check
printf 'commit "bf16" {\n  repo = "//repos:m"\n  head = "main"\n}\n' > "$ws/commits/BUILD.hcl"
cat > "$ws/benchmarks/BUILD.hcl" <<'HCL'
benchmark "matmul" {
  commit  = "//commits:bf16"
  command = "python3 -c 'import time, torch, matmul as m; a = torch.randn(8192, 8192, device=\"cuda\", dtype=m.DTYPE); b = torch.randn(8192, 8192, device=\"cuda\", dtype=m.DTYPE); [m.step(a, b) for _ in range(3)]; torch.cuda.synchronize(); t = time.perf_counter(); [m.step(a, b) for _ in range(20)]; torch.cuda.synchronize(); print(\"Execution time: %.6fs\" % ((time.perf_counter() - t) / 20))'"
  samples = 6
  warmup  = 1
  timeout = "2m"
  requires {
    gpus               = 1
    compute_capability = "9.0"
  }
}

benchmark "needs_blackwell" {
  commit  = "//commits:bf16"
  command = "true"
  requires {
    compute_capability = "10.0"
  }
}
HCL

echo "== isobench build"
cd "$ws"
"$bin" build //dataset:all --events "$out/events.jsonl" | tee "$out/build.txt"
echo "== second build"
"$bin" build //dataset:all | tee -a "$out/build.txt"
cp isobench-out/dataset/gpu/data/train-00000-of-00001.jsonl "$out/records.jsonl"
python3 - "$out/records.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    hw = r.get("hardware") or {}
    print(r["benchmark"], r.get("status"), r.get("failure_class"), "verdict", r.get("verdict"),
          "speedup", r.get("speedup"), "ci", r.get("ci_low"), r.get("ci_high"), "p", r.get("p_value"))
    print("  hardware:", hw.get("gpu_name"), hw.get("compute_capability"), hw.get("driver"), hw.get("cuda"), hw.get("gpu_uuids"))
    print("  base:", r.get("base_performance"))
    print("  head:", r.get("head_performance"))
    if r.get("gpu_telemetry"):
        print("  telemetry:", json.dumps(r["gpu_telemetry"])[:400])
PY
