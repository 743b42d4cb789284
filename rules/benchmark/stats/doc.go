// Package stats compares two sets of benchmark samples, base and head, and says whether head
// is faster, slower or the same, with the evidence for it.
//
// Upstream reported one run per side as a speedup; of 43 human "improvements" in its data, 17
// were within ±2%, the size of run-to-run noise. This package replaces that single ratio with
// what a reader needs to trust a verdict: the median and spread of each side, the speedup of
// the medians, a bootstrap confidence interval of that speedup, a p-value, and a verdict that
// demands all three (an interval that excludes 1, a small p-value and an effect large enough
// to matter).
//
// Medians, not means: a benchmark process that hits a page fault storm or a noisy neighbour
// produces one wild sample, and the median shrugs it off. The p-value is Mann-Whitney's
// wherever it can decide: timings are skewed to the right and rarely normal, and a rank test
// assumes neither. With few runs a side (fewer than 6 at p < 0.01) a rank test cannot reach a
// small p-value however clear the change, and Welch's t-test on log run medians takes its
// place (TestFor says where and why). Every function is deterministic: the bootstrap is
// seeded from the samples, so the same samples always give the same interval and a replayed
// measurement reads the same as when it was made.
package stats
