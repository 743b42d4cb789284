workspace {
  name = "for_each_not_map"
}
