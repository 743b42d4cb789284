# One commit target per row of the list: //commits:perf.sorted_median, ...
commit "perf" {
  for_each = { for row in csvdecode(file("perf_commits.csv")) : row.name => row }
  repo     = "//repos:tinystats"
  head     = each.value.sha # base: the first parent
}

# A commit that changes only documentation: its measurements should say "unchanged".
commit "docs" {
  repo = "//repos:tinystats"
  head = "3d2d4da" # an unambiguous prefix works too
}
