workspace {
  name = "wrong_kind_label"
}
