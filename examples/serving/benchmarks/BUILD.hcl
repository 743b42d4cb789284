# Serving benchmarks: a server per run, a client that measures it.
#
# The client is the example's own (client.py, a small `vllm bench serve`), fed to the side's
# python on stdin, so its source is part of the key like every other part of the workload.
# Both commands get the port isobench picked for the session as ${server.port} (the shell's
# ${ISOBENCH_PORT}), and the client writes its result file under ISOBENCH_RUN_DIR, a fresh
# directory per invocation.

locals {
  client = "python - --port ${server.port} --model tiny --num-prompts ${var.num_prompts} --random-input-len 100 --random-output-len 24 --save-result --result-filename result.json <<'PY'\n${file("client.py")}\nPY"
}

benchmark "kv_cache" {
  commit = "//commits:kv_cache"
  server {
    command       = "python server.py --port ${server.port} --model tiny"
    ready         = "/health"
    ready_timeout = "60s"
  }
  command     = local.client
  client_runs = 2 # client invocations per server session: the run's values
  result_file = "result.json"
  metrics = { # record name = key in the result file
    tpot_median = "median_tpot_ms"
    ttft_median = "median_ttft_ms"
    itl_p99     = "p99_itl_ms"
    throughput  = "output_throughput"
  }
  primary_metric = "tpot_median"
  directions     = { throughput = "higher" }
  samples        = var.samples
  warmup         = 0
  timeout        = "60s"
}

# The same workload on the documentation commit, read from the client's printed table instead
# of its result file, as for older scripts that save nothing.
benchmark "docs_control" {
  commit = "//commits:docs"
  server {
    command   = "python server.py --port ${server.port} --model tiny"
    ready_log = "serving on"
  }
  command     = local.client
  client_runs = 2
  metric_patterns = {
    tpot_median = "Median TPOT \\(ms\\):\\s+([0-9.]+)"
    ttft_median = "Median TTFT \\(ms\\):\\s+([0-9.]+)"
  }
  units          = { tpot_median = "ms", ttft_median = "ms" }
  primary_metric = "tpot_median"
  samples        = var.samples
  warmup         = 0
  timeout        = "60s"
}
