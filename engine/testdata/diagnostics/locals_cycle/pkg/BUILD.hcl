locals {
  fine  = "ok"
  left  = "${local.right}-l"
  right = "${local.left}-r"
}

thing "a" {
  text = local.fine
}
