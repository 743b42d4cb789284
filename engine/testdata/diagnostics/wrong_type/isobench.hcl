workspace {
  name = "wrong_type"
}
