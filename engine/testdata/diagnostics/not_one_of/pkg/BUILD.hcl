thing "a" {
  mode = "fats"
}
