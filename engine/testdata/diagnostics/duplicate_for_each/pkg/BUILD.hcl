thing "a" {
  for_each = toset(["x", "y"])
  text     = each.key
}

thing "a.x" {
  text = "clashes with the expansion of a for key x"
}
