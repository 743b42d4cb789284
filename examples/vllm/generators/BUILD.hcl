generator "gpt5" {
  base_url         = "https://api.openai.com/v1"
  api_key_env      = "OPENAI_API_KEY"
  model            = var.model
  system           = file("system.md")
  prompt           = templatefile("perf_test.tmpl", { commit = commit })
  # A reasoning model's reasoning counts against max_tokens; the upstream's generated tests
  # average about 19 KB (5,000 tokens) after up to tens of thousands of reasoning tokens.
  max_tokens       = 65536
  reasoning_effort = "medium"
  max_attempts     = 3
  concurrency      = 8
  max_diff_chars   = 60000
}
