# The commit's own source tree on PYTHONPATH, in a venv of the machine's Python: nothing to
# download, so it works offline. Built once per commit side and shared by every benchmark.
environment "tinystats" {
  python    = "3"
  installer = "pip"
  install   = "pythonpath"
  check     = "import tinystats; print(tinystats.__file__)"
}
