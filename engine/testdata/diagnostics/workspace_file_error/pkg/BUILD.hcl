thing "a" {
  text = "x"
}
