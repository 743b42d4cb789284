thing "a" {
  text = var.modle
}
