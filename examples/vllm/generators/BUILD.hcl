generator "gpt5" {
  base_url         = "https://api.openai.com/v1"
  api_key_env      = "OPENAI_API_KEY"
  model            = var.model
  system           = file("system.md")
  prompt           = templatefile("perf_test.tmpl", { commit = commit })
  max_tokens       = 16000
  reasoning_effort = "medium"
  max_attempts     = 3
  concurrency      = 8
  max_diff_chars   = 60000
}
