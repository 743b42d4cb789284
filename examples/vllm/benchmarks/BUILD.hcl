benchmark "perf" {
  for_each    = toset(["flash_attn_cpu", "qwen3_reasoning_parser", "merge_async_iterators", "triton_prefill_attention", "moe_intermediate_cache"])
  commit      = "//commits:perf.${each.key}"
  generator   = "//generators:gpt5"
  environment = "//envs:vllm_wheel"
  samples     = 10
  warmup      = 1
  timeout     = "5m"
  requires {
    gpus               = 1
    compute_capability = "9.0" # at least: Hopper
    memory_gb          = 40
  }
}
