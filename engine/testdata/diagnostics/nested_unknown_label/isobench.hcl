workspace {
  name = "nested_unknown_label"
}
