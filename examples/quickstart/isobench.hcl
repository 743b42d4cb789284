# The quickstart workspace: a small pure-Python library (tinystats, bundled as a Git bundle)
# whose performance commits are measured at base and head on the CPU. Runs offline.

workspace {
  name = "quickstart"
}

# The generated tests in //generated run only when an OpenAI-compatible endpoint is given:
#   isobench build //dataset:all --var llm_base_url=http://localhost:8000/v1 --var llm_model=...
# (the key is read from the variable named by llm_api_key_env, never from a file).
variable "llm_base_url" {
  default = ""
}

variable "llm_model" {
  default = "gpt-5-mini"
}

variable "llm_api_key_env" {
  default = "OPENAI_API_KEY"
}

# Samples per side of every benchmark (base and head interleaved). Ten give a confident
# verdict on the CPU; fewer (--var samples=3) make a quick run, as the end-to-end tests do.
variable "samples" {
  default = 10
}
