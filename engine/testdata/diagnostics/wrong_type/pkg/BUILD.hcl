thing "a" {
  count = "many"
}
