# vLLM publishes a wheel per commit: https://wheels.vllm.ai/<sha>. The preflight finds out in
# a second whether a commit has one; commits without one fail as no_wheel before any GPU or
# LLM time is spent.
environment "vllm_wheel" {
  python          = "3.12"
  packages        = ["vllm"]
  extra_index_url = "https://wheels.vllm.ai/${commit.sha}"
  torch_backend   = "auto"
  env             = { VLLM_USE_V1 = "1" }
  check           = "import vllm, torch; assert torch.cuda.is_available()"
}
