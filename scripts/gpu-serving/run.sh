#!/usr/bin/env bash
# A serving benchmark on a GPU: a small PyTorch transformer (server.py, random weights built
# in code) behind an OpenAI-compatible streaming endpoint, at a base commit without a KV cache
# and a head commit with one, measured by the serving example's client (TTFT, TPOT, ITL,
# throughput). Usage:
#
#   scripts/gpu-serving/run.sh [BIN] [OUTDIR] [SAMPLES] [WARMUP]
#
# First one session by hand per side, outside isobench (the server's start time and one client
# run; SMOKE_SIDES, "base head" by default, "" for none), so that a slow machine shows where
# the time goes even if the build does not finish; then the build, stopped after
# $BUILD_TIMEOUT seconds (default 300), and the same build again, answered from the cache. It
# prints each metric's medians, interval and verdict, the servers' start times, and the
# build's wall time; OUTDIR gets the build output, the log and the record. A session is about a server start plus two
# client runs: with SAMPLES=3 WARMUP=0 (the defaults) the build runs six. SAMPLES may be any
# value the samples attribute takes, such as '"auto"'; WORKLOAD overrides the client's flags.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-bin/isobench}")
out=${2:-$(mktemp -d)}
samples=${3:-3}
warmup=${4:-0}
# The client's workload, the same for the smoke session and every run of the build. The context
# is long so that a step without the cache (the whole context again) costs clearly more than a
# step with it: with 512 tokens an adaptive build on an H200 had not settled after 11 rounds
# (2026-12-02; why was not measured).
workload=${WORKLOAD:---num-prompts 8 --random-input-len 2048 --random-output-len 64}
mkdir -p "$out"
. "$here/../gpu-workspace.sh"

new_repo
cp "$here/server.py" server.py
git add -A; git commit -qm "A transformer server without a KV cache"
sed -i 's/^KV_CACHE = False$/KV_CACHE = True/' server.py
git commit -qam "decode: keep a KV cache"

new_workspace gpu-serving
printf 'commit "kv" {\n  repo = "//repos:m"\n  head = "main"\n}\n' > "$ws/commits/BUILD.hcl"
cp "$here/../../examples/serving/benchmarks/client.py" "$ws/benchmarks/client.py"
cat > "$ws/benchmarks/BUILD.hcl" <<HCL
benchmark "kv" {
  commit = "//commits:kv"
  server {
    command       = "python server.py --port \${server.port}"
    ready         = "/health"
    ready_timeout = "3m"
  }
  command     = "python - --port \${server.port} $workload --save-result <<'PY'\n\${file("client.py")}\nPY"
  client_runs = 2
  result_file = "result.json"
  metrics = {
    tpot_median = "median_tpot_ms"
    ttft_median = "median_ttft_ms"
    itl_p99     = "p99_itl_ms"
    throughput  = "output_throughput"
  }
  primary_metric = "tpot_median"
  directions     = { throughput = "higher" }
  samples        = $samples
  warmup         = $warmup
  timeout        = "3m"
  requires {
    gpus = 1
  }
}
HCL

# One session by hand at each side, outside isobench: where the time goes, even if the build
# does not finish (SMOKE_SIDES="" leaves it out).
port=18123
for side in ${SMOKE_SIDES-base head}; do
  rev=HEAD; [[ $side == base ]] && rev=HEAD~1
  git -C "$repo" show "$rev:server.py" > "$work/server-$side.py"
  t0=$(date +%s.%N)
  python3 "$work/server-$side.py" --port $port > "$out/smoke-server-$side.log" 2>&1 &
  server=$!
  until python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/health')" 2>/dev/null; do
    sleep 0.2
    if ! kill -0 $server 2>/dev/null; then echo "smoke: the $side server exited"; tail -20 "$out/smoke-server-$side.log"; break; fi
    if (( $(date +%s) - ${t0%.*} > 180 )); then echo "smoke: the $side server was not ready in 180 s"; tail -20 "$out/smoke-server-$side.log"; break; fi
  done
  t1=$(date +%s.%N)
  python3 "$ws/benchmarks/client.py" --port $port $workload > "$out/smoke-client-$side.txt" 2>&1 || true
  t2=$(date +%s.%N)
  kill $server 2>/dev/null || true; wait $server 2>/dev/null || true
  echo "smoke (outside isobench, $side): server ready after $(python3 -c "print(round($t1-$t0,2))") s; one client run $(python3 -c "print(round($t2-$t1,2))") s"
  grep -E "Median (TTFT|TPOT)|throughput" "$out/smoke-client-$side.txt" || cat "$out/smoke-client-$side.txt"
done

cd "$ws"
"$bin" build //commits:all > /dev/null
start=$(date +%s.%N)
timeout "${BUILD_TIMEOUT:-300}" "$bin" build //dataset:all > "$out/build.txt" 2>&1 || { echo "the build failed or ran past ${BUILD_TIMEOUT:-300} s"; tail -80 "$out/build.txt"; "$bin" log //benchmarks:kv | tail -80; exit 1; }
end=$(date +%s.%N)
cat "$out/build.txt"
# The same build again: every action replayed from the cache, no server started.
again=$(date +%s.%N)
"$bin" build //dataset:all > "$out/rebuild.txt" 2>&1
echo "the same build again: $(python3 -c "print(round($(date +%s.%N)-$again,2))") s; $(grep -E '^isobench: [0-9]+ executed' "$out/rebuild.txt")"
"$bin" log //benchmarks:kv > "$out/log.txt" 2>&1 || true
cp isobench-out/dataset/gpu/data/train-00000-of-00001.jsonl "$out/records.jsonl"
python3 - "$out/records.jsonl" "$start" "$end" <<'PY'
import json, statistics, sys
path, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
for line in open(path):
    r = json.loads(line)
    s = r.get("sampling") or {}
    print("%s verdict=%s speedup=%.3f ci=[%.3f, %.3f] p=%.2g runs=%s/%s stopped=%s server=%r" % (r["benchmark"], r["verdict"],
          r["speedup"] or 0, r["ci_low"] or 0, r["ci_high"] or 0, r["p_value"] or 1, s.get("base_runs"), s.get("head_runs"),
          s.get("stopped"), r.get("server_command")))
    for m in r.get("metrics") or []:
        print("  %-12s %-6s base %.4g head %.4g %s speedup %.3f [%.3f, %.3f] p=%.2g %s" % (m["name"], m["direction"],
              m["base_median"] or 0, m["head_median"] or 0, m.get("unit", ""), m["speedup"] or 0, m["ci_low"] or 0,
              m["ci_high"] or 0, m["p_value"] or 1, m["verdict"]))
    # Server start times from the record's sessions (ready_seconds: null when never ready).
    ready = {"base": [], "head": []}
    for sess in r.get("server_sessions") or []:
        if sess.get("ready_seconds") is not None:
            ready[sess["side"]].append(sess["ready_seconds"])
    for side, xs in ready.items():
        if xs:
            print("server start (%s): min %.2fs median %.2fs of %d sessions" % (side, min(xs), statistics.median(xs), len(xs)))
print("wall time of the build: %.1fs" % (float(end) - float(start)))
PY
