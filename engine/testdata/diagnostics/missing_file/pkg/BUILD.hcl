thing "a" {
  text = file("nope.txt")
}
