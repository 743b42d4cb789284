thing "x" {
  dep = ":y"
}

thing "y" {
  dep = "//pkg:x"
}
