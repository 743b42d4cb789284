thing {
  text = "no name"
}
