# Model weights and compile caches: the generated tests build the changed module with random
# weights and download no model, so they need neither HF_TOKEN nor a model cache. Tests that
# load a model (vllm.LLM("...")) need HF_HOME with the weights and, for gated models,
# HF_TOKEN; the test sandbox ("Untrusted tests in a real sandbox") has not landed in this
# tree, so a test runs with the minimal environment and no secrets. Triton and
# torch.compile caches live in the test's own scratch directory, so each run compiles afresh
# and warmup = 1 absorbs it.
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
