dataset "quickstart" {
  benchmarks  = ["//benchmarks:all", "//generated:all"]
  formats     = ["jsonl", "parquet"]
  description = "tinystats performance commits, measured at base and head on the CPU."
  # written to isobench-out/dataset/quickstart/
}
