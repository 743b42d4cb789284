thing "a" {
  text = "fine"
}

thign "b" {
  text = "typo in the kind"
}
