# Tests written by a model, for the same commits as //benchmarks. They exist only when an
# endpoint is configured (var.llm_base_url): with none, for_each is empty and so is //generated:all.
# Point it at OpenAI:   --var llm_base_url=https://api.openai.com/v1 (and export OPENAI_API_KEY)
# or a local server:    --var llm_base_url=http://localhost:8000/v1 --var llm_model=Qwen/Qwen2.5-Coder-7B-Instruct

generator "llm" {
  base_url         = var.llm_base_url == "" ? "http://localhost:8000/v1" : var.llm_base_url
  api_key_env      = var.llm_api_key_env
  model            = var.llm_model
  system           = file("system.md")
  prompt           = templatefile("perf_test.tmpl", { commit = commit })
  max_tokens       = 4000
  max_attempts     = 3
  concurrency      = 4
}

benchmark "gen" {
  for_each    = var.llm_base_url == "" ? toset([]) : toset(["sorted_median", "dict_word_counts", "prefix_sum_moving_average"])
  commit      = "//commits:perf.${each.key}"
  generator   = ":llm"
  environment = "//envs:tinystats"
  samples     = var.samples
  warmup      = 1
  timeout     = "60s"
}
