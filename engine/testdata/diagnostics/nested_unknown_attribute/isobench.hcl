workspace {
  name = "nested_unknown_attribute"
}
