workspace {
  name = "syntax_error"
}
