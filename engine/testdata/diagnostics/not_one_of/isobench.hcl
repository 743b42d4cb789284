workspace {
  name = "not_one_of"
}
