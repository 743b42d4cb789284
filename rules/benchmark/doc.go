// Package benchmark is the `benchmark` target kind: it runs a performance test at the base and
// the head commit of a commit target, in their environments, on hardware that meets the
// benchmark's requirements, and records every sample, the hardware, the GPU's state while each
// sample ran, and a statistical verdict.
//
// # Schema
//
//	benchmark "flash_attn_cpu" {
//	  commit      = "//commits:flash_attn_cpu"  # required
//
//	  # The test: exactly one of
//	  generator   = "//generators:gpt5"         # a test generated for the commit (head side)
//	  script      = file("test.py")             # Python source, run with the side's python
//	  command     = "python benchmarks/benchmark_latency.py --model m"  # run by /bin/sh in the
//	                                            # commit's files; may use ${commit.sha} etc.
//
//	  environment = "//envs:vllm_wheel"         # built per side; without it, this machine's
//	                                            # python3 runs the test (also as `python`)
//
//	  # The metrics. Every JSON line with a numeric "value" or a list of "values" counts, lines
//	  # of one metric add up, and a run may report several metrics
//	  # ({"metric": "latency", "values": [0.0121, 0.0119], "unit": "s"}); without any, the last
//	  # line "Execution time: 0.012345s". stdout first, stderr when stdout has none.
//	  metric       = "latency"    # optional (or primary_metric): the metric that decides the verdict;
//	                              # default the first the first run reports; names a regex value
//	  metric_regex = "p50: ([0-9.]+) ms"  # optional: value from group "value", else group 1
//	  unit         = "ms"         # recorded for metric_regex values
//	  direction    = "lower"      # every metric's: "lower" (default) or "higher" is better
//	  directions   = { throughput = "higher" }  # per metric
//
//	  samples = 10     # measured runs per side (default 10); "auto" or { min = 3, max = 30 }:
//	                   # adaptive, judged after each round, stopped when the verdict settles
//	  warmup  = 1      # discarded runs per side before them (default 1)
//	  flagged_runs = "keep"  # or "exclude": runs flagged low_clock, hw_slowdown or cpu_loaded
//	  timeout = "10m"  # per run (default 10m); everything the run started is killed
//	  secrets = ["HF_TOKEN"] # variables of the user's passed to the runs, masked in logs
//	  allow_network = false  # true: the runs reach the network, not only their loopback
//	  preload = ["torch"]    # or "imports" (the script's own top-level imports): imported
//	                         # once per side, every run forked from that process (preload.go)
//
//	  # Serving (server.go): each run starts the side's server, runs the command (the client)
//	  # client_runs times against it on the sandbox's loopback, and stops it.
//	  server {
//	    command       = "vllm serve m --port $ISOBENCH_PORT"  # may use ${commit.sha} etc.
//	    ready         = "/health"  # or ready_log = "regex"; neither: the port accepts
//	    ready_timeout = "10m"
//	    stop_grace    = "10s"
//	  }
//	  client_runs     = 1                  # client invocations per run: the run's values
//	  result_file     = "result.json"      # in $ISOBENCH_RUN_DIR, else the working directory
//	  metrics         = { tpot = "median_tpot_ms" }  # name = key ("a.b" nested)
//	  metric_patterns = { ttft = "Mean TTFT \\(ms\\):\\s+([0-9.]+)" }  # or over stdout
//	  units           = { ttft = "ms" }    # default from the key (_ms, _s, throughput)
//	  variants = {           # candidate patches to base, each a side of its own (variant.go)
//	    claude = file("patches/claude/flash_attn_cpu.diff")
//	  }
//
//	  requires {                   # checked before anything runs; unmet: `skipped`
//	    gpus               = 1     # devices held exclusively while measuring
//	    compute_capability = "9.0" # at least
//	    memory_gb          = 80    # per GPU, in 10^9 bytes
//	    fp8                = true  # compute capability 8.9 or newer
//	  }
//
//	  verdict {                    # the defaults
//	    confidence  = 0.95         # level of the bootstrap interval of the speedup
//	    max_p_value = 0.01         # two-sided; Mann-Whitney or Welch (stats.TestFor)
//	    min_effect  = 0.05         # smallest change that counts, and the "unchanged" band
//	  }
//	}
//
// A compute capability, memory or fp8 requirement implies gpus = 1. A benchmark without GPUs
// holds one CPU slot and runs with CUDA_VISIBLE_DEVICES empty; one with GPUs holds that many
// devices, numbered for CUDA in PCI bus order (CUDA_DEVICE_ORDER=PCI_BUS_ID), so a machine
// with N GPUs runs N single-GPU measurements at once.
//
// # Runs
//
// Base and head runs alternate in the balanced order A B B A A B B A ..., warmups first, each
// run a fresh process in a fresh working directory with its own HOME and TMPDIR. The process
// gets engine.MinimalEnv (no API keys or tokens of the user) plus what the environment target
// declares, the declared secrets, ISOBENCH_SIDE and ISOBENCH_COMMIT, and runs in an
// engine.Sandbox (sandbox.go): its own processes, a root with only the action's files and
// its environment read-only and its run directory writable, loopback alone. A command runs in a private copy of the
// commit's files (git archive), not in the shared worktree, since an untrusted test may write
// next to its sources. Output is capped at 1 MiB per stream (the tail is kept). Throughout
// each run every GPU held is read through NVML every 100 ms (clocks, temperature, power,
// throttle reasons; nothing is set) and the CPU load from /proc (hardware.Watch); a run is
// flagged low_clock, hw_slowdown or cpu_loaded, and the verdict's sentence counts the flags.
// With preload, each side's runs are forked from one process that imported the modules
// first (preload.go, preload.py): still a process a run, in the same sandbox, environment,
// directories and limits, without the price of the imports.
// With adaptive sampling the runs are judged after each round from the minimum on, and
// sampling stops when stats.Sequential says so (its doc says how false positives are
// controlled over the repeated looks). CPU benchmarks run one at a time (cpuPool).
//
// # Results
//
// The measure action's output is an artifact.Measurement: samples (with every value by metric),
// the primary metric's run medians per side, every metric's values grouped by run with its own
// stats, the sampling (runs a side, looks, why it stopped), hardware, and the primary's stats
// (medians, MADs, speedup, two-stage bootstrap interval, p-value, verdict and its reason; see
// package stats for how the verdict is decided). The first run that fails ends the
// measurement, with a cached failure whose Meta is the record so far:
//
//	base_failed      the test exited non-zero at base
//	head_failed      ... at head
//	timeout          a run outlived the timeout
//	no_metric        a run printed no readable value (its output's tail is in the log)
//	metric_mismatch  runs reported different metric names or units
//	skipped          the machine cannot meet `requires` (decided in Prepare; no GPU is held)
//
//	preload_failed   an import of preload initialised CUDA, which a forked run cannot use
//
// A preloaded module that cannot be imported is the side's failure (base_failed, head_failed, variant_failed),
// as a run importing it would be. A run killed by a signal it was not sent (the OOM killer), a
// cancelled build, a test that cannot start and a preloading process that died are transient
// failures (killed, cancelled, error, preload_died): never cached.
//
// # Key
//
// The measure key holds the test (the generated script's output digest, the inline script's
// digest, or the command of each side), the environments' output digests, both SHAs, every
// setting above, and the hardware class (hardware.Info.ClassLines). Moving to other hardware
// makes measurements stale and nothing else; a skip is remembered per hardware class.
//
// # Variants
//
// A benchmark with variants plans, besides the measure action (whose key the variants leave
// alone), one measure action per variant, which runs base, head and the base tree with the
// variant's patch in one rotated order (ScheduleSides), and a "variants" action that gathers
// them into the benchmark's record (artifact.Measurement.Variants). A variant's key is the
// measure key plus its name, its patch's digest and how its code reaches the test, so adding
// or changing one patch runs that variant alone. Its failures are cached with their class:
// patch_failed (git apply refused it), patch_needs_build (compiled or build files under an
// installed build, decided in Prepare) and variant_failed (its test exited non-zero).
package benchmark
