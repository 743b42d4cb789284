workspace {
  name = "missing_file"
}
