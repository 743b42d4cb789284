workspace {
  name = "cycle"
}
