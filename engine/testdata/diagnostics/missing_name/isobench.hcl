workspace {
  name = "missing_name"
}
