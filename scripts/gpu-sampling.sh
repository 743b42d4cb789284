#!/usr/bin/env bash
# Time to verdict on a GPU: four benchmarks of a small PyTorch repository made here, measured
# with one sampling mode, and the figures the benchmark rule is judged by. Usage:
#
#   scripts/gpu-sampling.sh MODE [BIN] [OUTDIR]
#
# MODE: fixed (samples = 10), adaptive ("auto"), adaptive-preload ("auto", and every run
# forked from a process per side that imported torch once: preload = ["torch"]), or several
# of them separated by commas (fixed,adaptive-preload), run one after the other, each in a
# workspace and cache of its own, with a summary line per mode at the end. With
# GPU_SAMPLING_PARALLEL=1 the listed modes run at once instead, mode i on GPU i
# (CUDA_VISIBLE_DEVICES=i), each with the whole of its device: on a machine with as many GPUs
# as modes, the wall time of the slowest instead of the sum.
#
# The test is written as a new user would write one: it imports torch, multiplies two bf16
# 8192x8192 matrices ITERS times per repetition, times each repetition with CUDA events, and
# prints the five times as one JSON line of values (plus a second, higher-is-better metric).
# The commits: two that change only a README (A/A), one that does 10% less GPU work (ITERS
# 40 -> 36, a speedup of 1.11) and one that does half (40 -> 20, base declared two commits back).
# It prints, per benchmark, the verdict, interval, runs a side, why sampling stopped and the
# flagged runs, then the wall time of the build, the timed GPU work (the sum of every measured
# value) and the device occupancy (timed GPU work over wall time).
#
# preload needs a Python test, not a command, and a script reaches no code of the commit
# without an environment (which would need torch installed in it, and this machine may have
# no index): in adaptive-preload the test is the same bench.py as a script, run by the
# machine's python3, which takes ITERS from a table of this repository's commits by
# ISOBENCH_COMMIT. The GPU work per commit is the same as the command's.
#
# GPU_SAMPLING_CPU=1 checks the script without a GPU: the matrix products become a Python
# loop (ITERS * 2000 additions, five repetitions timed with perf_counter), no GPU is
# required, and preload imports the script's own imports. Nothing else changes.
set -euo pipefail
modes=${1:?usage: gpu-sampling.sh fixed|adaptive|adaptive-preload[,...] [BIN] [OUTDIR]}
bin=$(realpath "${2:-bin/isobench}")
out=${3:-$(mktemp -d)}
mkdir -p "$out"
if [[ $modes == *,* ]]; then
  here=$(realpath "$0")
  IFS=, read -ra list <<< "$modes"
  if [[ -n ${GPU_SAMPLING_PARALLEL:-} ]]; then
    pids=()
    for i in "${!list[@]}"; do
      CUDA_VISIBLE_DEVICES=$i "$here" "${list[$i]}" "$bin" "$out" > "$out/stdout-${list[$i]}.txt" 2>&1 &
      pids+=($!)
    done
    failed=0
    for i in "${!list[@]}"; do
      wait "${pids[$i]}" || { echo "mode ${list[$i]} failed" >&2; failed=1; }
      cat "$out/stdout-${list[$i]}.txt"
    done
    [[ $failed == 0 ]] || exit 1
  else
    for m in "${list[@]}"; do "$here" "$m" "$bin" "$out"; done
  fi
  echo "--- summary"
  for m in "${list[@]}"; do grep -h "^gpu-sampling mode=$m " "$out/summary-$m.txt"; done
  exit 0
fi
mode=$modes
. "$(dirname "$0")/gpu-workspace.sh"
preload=
case $mode in
fixed) samples=10 ;;
adaptive) samples='"auto"' ;;
adaptive-preload) samples='"auto"'; preload='["torch"]' ;;
*) echo "MODE must be fixed, adaptive or adaptive-preload" >&2; exit 2 ;;
esac
cpu=${GPU_SAMPLING_CPU:-}
if [[ -n $cpu && -n $preload ]]; then preload='"imports"'; fi

new_repo
if [[ -n $cpu ]]; then
cat > bench.py <<'PY'
import json, time
from work import ITERS

REPS = 5
times = []
for _ in range(REPS):
    start = time.perf_counter()
    x = 0
    for i in range(ITERS * 2000):
        x += i
    times.append(time.perf_counter() - start)
print(json.dumps({"metric": "latency", "values": times, "unit": "s"}))
print(json.dumps({"metric": "tflops", "value": ITERS * 2000 / min(times) / 1e12, "unit": "TFLOP/s"}))
PY
else
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
fi
echo "ITERS = 40" > work.py; echo "v0" > README.md
git add -A; git commit -qm "Matrix products"; git tag t0
echo "v1" > README.md; git commit -qam "README: v1"; git tag t1
echo "v2" > README.md; git commit -qam "README: v2"; git tag t2
echo "ITERS = 36" > work.py; git commit -qam "Ten percent less work"; git tag t3
echo "ITERS = 20" > work.py; git commit -qam "Half the work"; git tag t4

new_workspace gpu-sampling
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
test='command    = "python3 bench.py"'
if [[ -n $preload ]]; then
  # The same test as a script: ITERS by commit, as work.py has it at each.
  {
    echo "import os"
    echo "ITERS = {"
    for t in t0 t1 t2 t3 t4; do
      echo "    \"$(git -C "$repo" rev-parse "$t")\": $(git -C "$repo" show "$t:work.py" | sed 's/ITERS = //'),"
    done
    echo "}[os.environ[\"ISOBENCH_COMMIT\"]]"
    grep -v '^from work import ITERS' "$repo/bench.py"
  } > "$ws/benchmarks/bench.py"
  test='script     = file("bench.py")
  preload    = '"$preload"
fi
requires='requires {
    gpus = 1
  }'
[[ -n $cpu ]] && requires=
for c in aa1 aa2 ten two; do
  cat >> "$ws/benchmarks/BUILD.hcl" <<HCL
benchmark "$c" {
  commit     = "//commits:$c"
  $test
  metric     = "latency"
  directions = { tflops = "higher" }
  samples    = $samples
  warmup     = 1
  timeout    = "2m"
  $requires
}
HCL
done

cd "$ws"
"$bin" build //commits:all > /dev/null # commit facts first: the timed build below measures
start=$(date +%s.%N)
"$bin" build //dataset:all > "$out/build-$mode.txt" 2>&1 || { tail -50 "$out/build-$mode.txt"; exit 1; }
end=$(date +%s.%N)
cp isobench-out/dataset/gpu/data/train-00000-of-00001.jsonl "$out/records-$mode.jsonl"
for b in aa1 aa2 ten two; do "$bin" log "//benchmarks:$b" > "$out/log-$mode-$b.txt" 2>&1 || true; done
python3 - "$out/records-$mode.jsonl" "$mode" "$start" "$end" "$out" <<'PY' | tee "$out/summary-$mode.txt"
import json, re, sys
path, mode, start, end, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
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
    # Each run's own time, from the log ("in 1.234s"): a fresh process or a fork.
    name = r["benchmark"].split(":")[-1]
    try:
        log = open("%s/log-%s-%s.txt" % (out, mode, name)).read()
    except OSError:
        log = ""
    runs = sorted(float(x) * {"ms": 1e-3, "s": 1, "m": 60}[u] for x, u in re.findall(r"\] \w+ (?:warmup|sample) \d+: .*? in ([0-9.]+)(ms|s|m)\b", log))
    if runs:
        print("   runs: %d, each %.2f s min, %.2f s median%s" % (len(runs), runs[0], runs[len(runs) // 2],
              "".join("; " + l for l in re.findall(r"preload \w+: imported .*? in [0-9.]+s", log))))
print("gpu-sampling mode=%s wall_s=%.1f timed_gpu_s=%.2f occupancy=%.2f%%" % (mode, wall, timed, 100 * timed / wall))
PY
