thing "a" {
  text = "fine"
  tgas = ["x", "y"]
}
