workspace {
  name = "locals_cycle"
}
