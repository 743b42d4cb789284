thing "a" {
  for_each = ["x", "y"]
  text     = each.key
}
