# The KV cache: time per output token no longer grows with the prompt.
commit "kv_cache" {
  repo = "//repos:tinyserve"
  head = "3ceadb518142c690ff95f62867731ab4b772d1d2"
}

# A commit that changes only the README: its measurement should say "unchanged".
commit "docs" {
  repo = "//repos:tinyserve"
  head = "2449ed441755e6cbc1415933fe5e3e2169a4a564"
}
