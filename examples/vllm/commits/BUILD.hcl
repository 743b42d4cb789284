# Full SHAs: planning and `isobench status` need no Git at all; the mirror is cloned on the
# first build that must read a commit.
commit "perf" {
  for_each = { for row in csvdecode(file("perf_commits.csv")) : row.name => row }
  repo     = "//repos:vllm"
  head     = each.value.head
  base     = each.value.base
}
