# vLLM's per-commit wheels come in three eras (README, "Wheels for every era"):
#   since 2024-12-22 (PR #11404)  an index page per commit: https://wheels.vllm.ai/<sha>/vllm/
#   v0.5.3 to then                 only the file, named 1.0.0.dev whatever its version:
#                                  https://wheels.vllm.ai/<sha>/vllm-1.0.0.dev-cp38-abi3-manylinux1_x86_64.whl
#   before v0.5.3                  no wheel: the preflight says no_wheel in about a second
# The preflight reads the index page when there is one, else asks wheel_url with a HEAD
# request; uv installs the 1.0.0.dev file with UV_SKIP_WHEEL_FILENAME_CHECK=1, which isobench
# sets. Since December 2025 there are also CUDA variant folders: to prefer one, list it first,
# as in extra_index_url = ["https://wheels.vllm.ai/${commit.sha}/cu129", "https://wheels.vllm.ai/${commit.sha}"].
environment "vllm_wheel" {
  python          = "3.12" # every vLLM wheel since v0.5.3 is cp38-abi3; 3.12 runs all of them
  python_install  = true   # uv installs 3.12 when the machine lacks it
  packages        = ["vllm"]
  extra_index_url = "https://wheels.vllm.ai/${commit.sha}"
  wheel_url       = "https://wheels.vllm.ai/${commit.sha}/vllm-1.0.0.dev-cp38-abi3-manylinux1_x86_64.whl"
  # Dependencies as they were on the commit's date: torch, transformers, numpy and tokenizers
  # as the commit was tested with, instead of today's releases (uv's --exclude-newer). PyTorch
  # then comes from PyPI, whose default Linux build is the CUDA one vLLM's wheel was built
  # against; torch_backend = "auto" would pick a build for this machine's driver that an old
  # commit's pinned torch does not have.
  resolve_as_of = commit.date
  env           = { VLLM_USE_V1 = "1" }
  # No GPU needed: environments may be built on a node without one, and a check that asked
  # for CUDA would be cached as check_failed there.
  check = "import torch, vllm; print(vllm.__version__, torch.__version__, torch.version.cuda)"
  # A commit that still needs a pin its date does not give adds one here, for example:
  # override {
  #   commits  = ["98f47f2a"]
  #   packages = ["numpy<2"]
  # }
}
