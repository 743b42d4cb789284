thing "a" {
  text = "fine"
}

thing "b" {
  text = "no end
}
