thing "a" {
  text = "first"
}

note "a" {
  body = "second, of another kind but the same name"
}
