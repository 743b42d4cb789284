thing "a" {
  timeout = "5 minutes"
}
