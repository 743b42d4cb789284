workspace {
  name = "duplicate_name"
}
