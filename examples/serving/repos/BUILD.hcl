repo "tinyserve" {
  url = "../repo/tinyserve.bundle"
}
