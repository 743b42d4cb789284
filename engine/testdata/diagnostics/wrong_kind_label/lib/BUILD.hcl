note "readme" {
  body = "not a thing"
}
