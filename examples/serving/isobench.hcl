# The serving example: tinyserve, a small OpenAI-compatible streaming server in pure Python
# (bundled as a Git bundle, see repo/make-bundle.sh), measured as vLLM's serving benchmarks are:
# each run starts the server at its commit, waits until /health answers, runs a client that
# streams requests and writes a vLLM-shaped result file, and stops the server. Runs offline,
# on the CPU, with the machine's python3.

workspace {
  name = "serving"
}

# Runs per side. Five give a confident verdict (the exact test cannot call a difference with
# fewer); the end-to-end test takes three (--var samples=3).
variable "samples" {
  default = 5
}

# Requests per client invocation.
variable "num_prompts" {
  default = 8
}
