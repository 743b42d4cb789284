# The real workload: vLLM performance commits, each measured at its parent and at the commit
# with the per-commit wheels vLLM publishes (index pages, or the bare wheel for late-2024
# commits), dependencies as of the commit's date, a test written by GPT-5, on an NVIDIA GPU.
# `isobench validate` and `isobench status` work anywhere; a build needs a GPU machine and
# OPENAI_API_KEY (see README, "The vLLM example").

workspace {
  name = "vllm-perf"
}

variable "model" {
  default = "gpt-5-2025-08-07"
}
