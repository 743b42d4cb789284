dataset "vllm" {
  benchmarks      = ["//benchmarks:all"]
  formats         = ["jsonl", "parquet"]
  pretty_name     = "vLLM performance commits"
  task_categories = ["text-generation"]
  split           = "vllm"
  description     = "vLLM performance commits measured at base and head on one NVIDIA GPU, tests by GPT-5."
  license         = "apache-2.0"
}
