workspace {
  name = "duplicate_block"
}
