"""A serving benchmark client, shaped like vLLM's `benchmark_serving.py` / `vllm bench serve`:
it streams --num-prompts completions from an OpenAI-compatible server, --max-concurrency at a
time, measures each request's time to first token (TTFT), the gaps between tokens (ITL) and
the time per output token after the first (TPOT), prints vLLM's summary table, and with
--save-result writes vLLM's result file (the same keys: median_ttft_ms, p99_itl_ms,
output_throughput, ...). Python standard library only.
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
from datetime import datetime


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return 0.0
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def prompt_of(i, input_len):
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
    return " ".join(words[(i * 7 + j) % len(words)] for j in range(input_len))


def one_request(host, port, model, prompt, max_tokens):
    conn = http.client.HTTPConnection(host, port, timeout=600)
    body = json.dumps({"model": model, "prompt": prompt, "max_tokens": max_tokens, "stream": True})
    start = time.perf_counter()
    conn.request("POST", "/v1/completions", body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError("HTTP %d: %s" % (resp.status, resp.read()[:200]))
    times, tokens = [], 0
    while True:
        line = resp.readline()
        if not line:
            break
        line = line.strip()
        if not line.startswith(b"data: "):
            continue
        data = line[len(b"data: "):]
        if data == b"[DONE]":
            break
        chunk = json.loads(data)
        if chunk["choices"][0]["text"]:
            times.append(time.perf_counter())
            tokens += 1
    conn.close()
    end = time.perf_counter()
    if not times:
        raise RuntimeError("the server streamed no token")
    ttft = times[0] - start
    itl = [b - a for a, b in zip(times, times[1:])]
    tpot = (end - times[0]) / (tokens - 1) if tokens > 1 else 0.0
    return {"ttft": ttft, "itl": itl, "tpot": tpot, "latency": end - start, "output_tokens": tokens,
            "input_tokens": len(prompt.split())}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("ISOBENCH_PORT", "8000")))
    p.add_argument("--model", default="tiny")
    p.add_argument("--num-prompts", type=int, default=8)
    p.add_argument("--random-input-len", type=int, default=100)
    p.add_argument("--random-output-len", type=int, default=32)
    p.add_argument("--max-concurrency", type=int, default=1)
    p.add_argument("--save-result", action="store_true")
    p.add_argument("--result-dir", default=os.environ.get("ISOBENCH_RUN_DIR", "."))
    p.add_argument("--result-filename", default="result.json")
    args = p.parse_args()

    results, errors, lock = [], [], threading.Lock()
    todo = list(range(args.num_prompts))

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop(0)
            try:
                r = one_request(args.host, args.port, args.model, prompt_of(i, args.random_input_len), args.random_output_len)
                with lock:
                    results.append(r)
            except Exception as e:  # noqa: BLE001: counted, and printed below
                with lock:
                    errors.append(str(e))

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.max_concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    duration = time.perf_counter() - start
    if errors:
        print("%d requests failed, the first: %s" % (len(errors), errors[0]), file=sys.stderr)
        sys.exit(1)

    ms = lambda xs: [x * 1000 for x in xs]  # noqa: E731
    ttfts = ms([r["ttft"] for r in results])
    tpots = ms([r["tpot"] for r in results])
    itls = ms([x for r in results for x in r["itl"]])
    e2el = ms([r["latency"] for r in results])
    out_tokens = sum(r["output_tokens"] for r in results)
    in_tokens = sum(r["input_tokens"] for r in results)
    res = {
        "date": datetime.now().strftime("%Y%m%d-%H%M%S"),
        "backend": "openai",
        "model_id": args.model,
        "num_prompts": args.num_prompts,
        "max_concurrency": args.max_concurrency,
        "duration": duration,
        "completed": len(results),
        "total_input_tokens": in_tokens,
        "total_output_tokens": out_tokens,
        "request_throughput": len(results) / duration,
        "output_throughput": out_tokens / duration,
        "total_token_throughput": (in_tokens + out_tokens) / duration,
    }
    for name, xs in (("ttft", ttfts), ("tpot", tpots), ("itl", itls), ("e2el", e2el)):
        res["mean_%s_ms" % name] = statistics.fmean(xs)
        res["median_%s_ms" % name] = statistics.median(xs)
        res["std_%s_ms" % name] = statistics.pstdev(xs)
        res["p99_%s_ms" % name] = percentile(xs, 99)

    print("{s:{c}^50}".format(s=" Serving Benchmark Result ", c="="))
    print("{:<40} {:<10}".format("Successful requests:", len(results)))
    print("{:<40} {:<10.2f}".format("Benchmark duration (s):", duration))
    print("{:<40} {:<10.2f}".format("Request throughput (req/s):", res["request_throughput"]))
    print("{:<40} {:<10.2f}".format("Output token throughput (tok/s):", res["output_throughput"]))
    for name, title in (("ttft", "Time to First Token"), ("tpot", "Time per Output Token (excl. 1st token)"),
                        ("itl", "Inter-token Latency")):
        print("{s:{c}^50}".format(s=" " + title + " ", c="-"))
        print("{:<40} {:<10.2f}".format("Mean %s (ms):" % name.upper(), res["mean_%s_ms" % name]))
        print("{:<40} {:<10.2f}".format("Median %s (ms):" % name.upper(), res["median_%s_ms" % name]))
        print("{:<40} {:<10.2f}".format("P99 %s (ms):" % name.upper(), res["p99_%s_ms" % name]))
    print("=" * 50)
    if args.save_result:
        with open(os.path.join(args.result_dir, args.result_filename), "w") as f:
            json.dump(res, f)


if __name__ == "__main__":
    main()
