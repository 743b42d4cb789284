repo "vllm" {
  url = "https://github.com/vllm-project/vllm.git"
}
