# Hand-written tests: no model, no key. Each runs var.samples times (default 10) per side, base
# and head interleaved.

benchmark "median" {
  commit      = "//commits:perf.sorted_median"
  script      = file("tests/median.py")
  environment = "//envs:tinystats"
  samples     = var.samples
  warmup      = 1
  timeout     = "60s"
}

benchmark "word_counts" {
  commit      = "//commits:perf.dict_word_counts"
  script      = file("tests/word_counts.py")
  environment = "//envs:tinystats"
  samples     = var.samples
  warmup      = 1
  timeout     = "60s"
}

benchmark "moving_average" {
  commit      = "//commits:perf.prefix_sum_moving_average"
  script      = file("tests/moving_average.py")
  environment = "//envs:tinystats"
  samples     = var.samples
  warmup      = 1
  timeout     = "60s"
}

# The negative control: a documentation commit, measured with a test of code it does not
# touch (moving averages are still the slow version there, so each run takes ~0.1 s).
benchmark "docs_control" {
  commit      = "//commits:docs"
  script      = file("tests/moving_average.py")
  environment = "//envs:tinystats"
  samples     = var.samples
  warmup      = 1
  timeout     = "60s"
}
