thing "a" {
  text = "x"
  dep  = "//lib:readme"
}
