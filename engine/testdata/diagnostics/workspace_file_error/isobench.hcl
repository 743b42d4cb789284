workspace {
  nmae = "demo"
}
