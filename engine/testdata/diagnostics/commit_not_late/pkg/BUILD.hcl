thing "a" {
  prompt = "late is fine here: ${commit.sha}"
  text   = "but not here: ${commit.sha}"
}
