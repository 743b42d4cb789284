thing "a" {
  limits {
    cpus = 1
  }
  limits {
    cpus = 2
  }
}
