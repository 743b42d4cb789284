workspace {
  name = "duplicate_for_each"
}
