workspace {
  name = "unknown_label"
}
