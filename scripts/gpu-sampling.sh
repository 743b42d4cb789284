#!/usr/bin/env bash
# Time to verdict on a GPU: four benchmarks of a small PyTorch repository made here, measured
# with one sampling mode, and the figures the benchmark rule is judged by. Usage:
#
#   scripts/gpu-sampling.sh MODE [BIN] [OUTDIR]     MODE: fixed (samples = 10) or adaptive ("auto")
#
# The test is written as a new user would write one: it imports torch, multiplies two bf16
# 8192x8192 matrices ITERS times per repetition, times each repetition with CUDA events, and
# prints the five times as one JSON line of values (plus a second, higher-is-better metric).
# The commits: two that change only a README (A/A), one that does 10% less GPU work (ITERS
# 40 -> 36, a speedup of 1.11) and one that does half (40 -> 20, base declared two commits back).
# It prints, per benchmark, the verdict, interval, runs a side, why sampling stopped and the
# flagged runs, then the wall time of the build, the timed GPU work (the sum of every measured
# value) and the device occupancy (timed GPU work over wall time).
set -euo pipefail
mode=${1:?usage: gpu-sampling.sh fixed|adaptive [BIN] [OUTDIR]}
bin=$(realpath "${2:-bin/isobench}")
out=${3:-$(mktemp -d)}
mkdir -p "$out"
work=$(mktemp -d)
export ISOBENCH_HOME=$work/home
case $mode in
fixed) samples=10 ;;
adaptive) samples='"auto"' ;;
*) echo "MODE must be fixed or adaptive" >&2; exit 2 ;;
esac

repo=$work/repo
git init -q -b main "$repo"
cd "$repo"
git config user.name isobench; git config user.email isobench@example.com
cat > bench.py <<'PY'
import json, torch
from work import ITERS

N, REPS = 8192, 5
torch.manual_seed(0)
a = torch.randn(N, N, device="cuda", dtype=torch.bfloat16)
b = torch.randn(N, N, device="cuda", dtype=torch.bfloat16)
for _ in range(3):
    c = a @ b
torch.cuda.synchronize()
times = []
for _ in range(REPS):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(ITERS):
        c = a @ b
    end.record()
    torch.cuda.synchronize()
    times.append(start.elapsed_time(end) / 1000)
print(json.dumps({"metric": "latency", "values": times, "unit": "s"}))
print(json.dumps({"metric": "tflops", "value": 2 * N**3 * ITERS / min(times) / 1e12, "unit": "TFLOP/s"}))
PY
echo "ITERS = 40" > work.py; echo "v0" > README.md
git add -A; git commit -qm "Matrix products"; git tag t0
echo "v1" > README.md; git commit -qam "README: v1"; git tag t1
echo "v2" > README.md; git commit -qam "README: v2"; git tag t2
echo "ITERS = 36" > work.py; git commit -qam "Ten percent less work"; git tag t3
echo "ITERS = 20" > work.py; git commit -qam "Half the work"; git tag t4

ws=$work/ws
mkdir -p "$ws"/{repos,commits,benchmarks,dataset}
echo 'workspace { name = "gpu-sampling" }' > "$ws/isobench.hcl"
printf 'repo "m" {\n  url = "%s"\n}\n' "$repo" > "$ws/repos/BUILD.hcl"
cat > "$ws/commits/BUILD.hcl" <<'HCL'
commit "aa1" {
  repo = "//repos:m"
  head = "t1"
}
commit "aa2" {
  repo = "//repos:m"
  head = "t2"
}
commit "ten" {
  repo = "//repos:m"
  head = "t3"
}
commit "two" {
  repo = "//repos:m"
  head = "t4"
  base = "t2"
}
HCL
for c in aa1 aa2 ten two; do
  cat >> "$ws/benchmarks/BUILD.hcl" <<HCL
benchmark "$c" {
  commit     = "//commits:$c"
  command    = "python3 bench.py"
  metric     = "latency"
  directions = { tflops = "higher" }
  samples    = $samples
  warmup     = 1
  timeout    = "2m"
  requires {
    gpus = 1
  }
}
HCL
done
printf 'dataset "gpu" {\n  benchmarks = ["//benchmarks:all"]\n}\n' > "$ws/dataset/BUILD.hcl"

cd "$ws"
"$bin" build //commits:all > /dev/null # commit facts first: the timed build below measures
start=$(date +%s.%N)
"$bin" build //dataset:all > "$out/build-$mode.txt" 2>&1 || { tail -50 "$out/build-$mode.txt"; exit 1; }
end=$(date +%s.%N)
cp isobench-out/dataset/gpu/data/train-00000-of-00001.jsonl "$out/records-$mode.jsonl"
for b in aa1 aa2 ten two; do "$bin" log "//benchmarks:$b" > "$out/log-$mode-$b.txt" 2>&1 || true; done
python3 - "$out/records-$mode.jsonl" "$mode" "$start" "$end" <<'PY'
import json, sys
path, mode, start, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
wall = end - start
timed = 0.0
for line in open(path):
    r = json.loads(line)
    s = r.get("sampling") or {}
    t = r.get("gpu_telemetry") or {}
    for m in r.get("metrics") or []:
        if m["name"] == "latency":
            timed += sum(sum(run["values"]) for run in m["base_runs"] + m["head_runs"])
    print("%s %s verdict=%s speedup=%.4f ci=[%.4f, %.4f] p=%.2g runs=%s/%s stopped=%s looks=%s flagged=%s loaded=%s low_clock=%s sm_clock_run_median=%s" % (
        mode, r["benchmark"], r["verdict"], r["speedup"] or 0, r["ci_low"] or 0, r["ci_high"] or 0, r["p_value"] or 1,
        s.get("base_runs"), s.get("head_runs"), s.get("stopped"), s.get("looks"), r.get("flagged_runs"), r.get("loaded_runs"),
        t.get("low_clock_samples"), t.get("sm_clock_run_median_mhz")))
    for m in r.get("metrics") or []:
        if not m["primary"]:
            print("   metric %s (%s): %s speedup %.4f" % (m["name"], m["direction"], m["verdict"], m["speedup"] or 0))
print("gpu-sampling mode=%s wall_s=%.1f timed_gpu_s=%.2f occupancy=%.2f%%" % (mode, wall, timed, 100 * timed / wall))
PY
