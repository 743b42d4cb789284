thing "a" {
  limits {
    cpu = 2
  }
}
