workspace {
  name = "missing_required"
}
