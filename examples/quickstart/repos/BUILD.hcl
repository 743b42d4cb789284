repo "tinystats" {
  url = "../repo/tinystats.bundle" # a Git bundle; a path, or an https:// URL, works the same way
}
