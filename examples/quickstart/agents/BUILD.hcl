# Agents' attempts at commit 5 (moving averages from prefix sums): each was given the base
# commit and asked to make moving_average faster. Each patch is a variant: the base tree with
# the patch applied, measured beside base and head (the human's commit) in one rotated order,
# and judged over base and against the human.
#
#   bin/isobench -C examples/quickstart build //agents:all
#
# Adding an agent's patch later measures only that variant; base, head and the other
# variants are replayed from the cache.

benchmark "moving_average" {
  commit      = "//commits:perf.prefix_sum_moving_average"
  script      = file("../benchmarks/tests/moving_average.py")
  environment = "//envs:tinystats"
  samples     = var.samples
  warmup      = 1
  timeout     = "60s"
  variants = {
    running_sum   = file("patches/running_sum.diff")   # a running window sum: O(n)
    explicit_loop = file("patches/explicit_loop.diff") # the same work, written as a loop
  }
}

dataset "agents" {
  benchmarks  = ["//agents:moving_average"]
  formats     = ["jsonl"]
  description = "Agents' patches to tinystats' moving_average, measured beside base and the human's commit."
}
