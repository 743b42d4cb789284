package stats

import (
	"fmt"
	"math"
)

// FirstLookShare is the part of the false-positive budget (Thresholds.MaxP) that adaptive
// sampling spends at its first look, after Min runs a side; the rest is split evenly over
// every later look. Front-loaded, unlike the usual group-sequential designs, because of what
// an exact rank test can say with few runs: with 5 runs a side the smallest two-sided
// Mann-Whitney p-value is 2/C(10,5) = 0.0079, so the first look must be allowed at least that
// for a large effect to be decided at the minimum, while from 9 runs a side p-values go below
// 1e-4 and a small share per look costs a real effect little.
const FirstLookShare = 0.8

// Why sampling stopped, as the record says it.
const (
	StopFixed   = "fixed"    // fixed sampling: every run planned was taken
	StopSettled = "settled"  // adaptive: the verdict was decided before max
	StopMax     = "max_runs" // adaptive: max runs a side were taken without a decision earlier
)

// Sequential is the stopping rule of adaptive sampling: after each balanced round of one run
// a side, once both sides have Min runs, the runs so far are judged (a "look"); sampling stops
// as soon as the verdict is improved, regressed or unchanged, or when both sides have Max runs.
//
// Looking again and again at growing data and stopping at the first significant result
// inflates the false-positive rate: each look is another chance for noise to pass the test.
// The rule controls it by alpha spending with a union bound: look k may call a difference only
// when p < Alpha(k), and the Alphas of all possible looks sum to MaxP, so the probability that
// any look at an A/A comparison passes the p-value test is at most MaxP whatever the
// correlation between looks (Bonferroni). The verdict's other conditions (an interval that
// excludes 1 and an effect of at least MinEffect) only make a false positive rarer.
//
// Stopping as unchanged costs no false positives, so it uses the configured interval level at
// every look. It does give a real change of MinEffect or more more chances to be called
// unchanged; the interval must then miss the true effect entirely, and `make bench-stats`
// measures how often that happens (the detection rate).
type Sequential struct {
	Min, Max int // runs a side
}

// Alpha is the largest p-value the look at n runs a side may call a difference with. A fixed
// sampling (Min = Max) looks once and spends all of maxP. Adaptive sampling spends nothing on
// looks too early for the exact test to reach the first look's share (fewer than 5 runs a side
// for maxP = 0.01): they can only stop as unchanged. The first look that can decide a
// difference spends FirstLookShare of maxP, and every later look an equal part of the rest.
func (s Sequential) Alpha(n int, maxP float64) float64 {
	if s.Max <= s.Min {
		return maxP
	}
	first := s.firstDecisive(maxP)
	switch {
	case n < first:
		return 0
	case first >= s.Max:
		return maxP
	case n == first:
		return FirstLookShare * maxP
	}
	return (1 - FirstLookShare) * maxP / float64(s.Max-first)
}

// firstDecisive is the first look, from Min on, at which the smallest exact two-sided p-value,
// 2/C(2n, n), is below the first look's share of maxP.
func (s Sequential) firstDecisive(maxP float64) int {
	n := max(s.Min, 1)
	for n < s.Max && 2/binomial(2*n, n) >= FirstLookShare*maxP {
		n++
	}
	return n
}

// Look judges the runs taken so far. It returns the comparison (with the p-value threshold
// of this look) and whether sampling stops here. Before Min runs a side it never stops.
func (s Sequential) Look(base, head [][]float64, higherIsBetter bool, t Thresholds) (Comparison, bool) {
	n := min(len(base), len(head))
	look := t
	look.MaxP = s.Alpha(n, t.MaxP)
	if look.MaxP == 0 {
		look.MaxP = math.SmallestNonzeroFloat64 // too early to call a difference: unchanged or go on
	}
	c := CompareRuns(base, head, higherIsBetter, look)
	switch {
	case s.Max <= s.Min || c.Verdict == Unchanged:
	case look.MaxP < 1e-300:
		c.Reason += fmt.Sprintf(" (With %d runs a side no p-value is small enough to call a difference yet.)", n)
	case look.MaxP < t.MaxP:
		c.Reason += fmt.Sprintf(" (After %d runs a side this look may spend p < %.2g of the %g that all looks share.)", n, look.MaxP, t.MaxP)
	}
	switch {
	case n < s.Min:
		return c, false
	case c.Verdict != Noisy:
		return c, true
	}
	return c, n >= s.Max
}
