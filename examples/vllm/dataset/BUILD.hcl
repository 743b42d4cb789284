dataset "vllm" {
  benchmarks  = ["//benchmarks:all"]
  formats     = ["jsonl", "parquet"]
  description = "vLLM performance commits measured at base and head on an H100, tests by GPT-5."
  license     = "apache-2.0"
}
