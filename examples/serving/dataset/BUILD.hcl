dataset "serving" {
  benchmarks  = ["//benchmarks:all"]
  formats     = ["jsonl"]
  description = "tinyserve's serving benchmarks: TTFT, TPOT, ITL and throughput at base and head."
}
