thing "a" {
  dep = "//lib:helpr"
}
