workspace {
  name = "commit_not_late"
}
