workspace {
  name = "bad_duration"
}
