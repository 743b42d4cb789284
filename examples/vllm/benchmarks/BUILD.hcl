# Model weights and compile caches: the generated tests build the changed module with random
# weights and download no model, so they need neither HF_TOKEN nor a model cache. Each run is
# sandboxed: it writes only its own run directory and reaches loopback alone. A test that
# loads a gated model would add secrets = ["HF_TOKEN"] (passed to the runs, masked in their
# output) and allow_network = true to download the weights; a read-only shared model cache
# for the sandbox is not there yet. Triton and torch.compile caches live in the run's own
# directory, so each run compiles afresh and warmup = 1 absorbs it.
benchmark "perf" {
  for_each    = toset(["flash_attn_cpu", "qwen3_reasoning_parser", "merge_async_iterators", "triton_prefill_attention", "moe_intermediate_cache"])
  commit      = "//commits:perf.${each.key}"
  generator   = "//generators:gpt5"
  environment = "//envs:vllm_wheel"
  samples     = 10
  warmup      = 1
  timeout     = "10m"
  requires {
    gpus               = 1
    compute_capability = "8.0" # vLLM's FlashAttention backend needs Ampere; none of these commits needs Hopper
    memory_gb          = 20    # the tests build one layer or kernel with random weights
  }
}
