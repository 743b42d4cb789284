workspace {
  name = "unknown_attribute"
}
