workspace {
  name = "unknown_block_kind"
}
