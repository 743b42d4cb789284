thing "alpha" {
  text = "a"
}

thing "b" {
  limits {
    owner = ":alpah"
  }
}
