package stats

import "fmt"

// FirstLookShare is the part of the false-positive budget (Thresholds.MaxP) that adaptive
// sampling spends at its first look that can decide (Min runs a side, or 3 when Min is
// lower); the rest is split evenly over every later look. Front-loaded, unlike the usual
// group-sequential designs, because the point of adaptive sampling is to stop a clear change
// at the minimum: with half of 0.01 at 3 runs a side, Welch's test there calls a 10% change
// 88% of the time when runs vary by 1% (log-normal sigma; 38% at 2%), and a 2x change always
// through 3% noise (69% of the time through 10%), while from 9 runs a side the rank test
// reaches p < 1e-4 and the small share of each later look costs a real change little.
// Simulated, schedules that also front-load the next looks (0.5, 0.15, 0.1 of the budget at
// 3, 4 and 5 runs a side, or 0.3, 0.2, 0.1) changed the mean runs to find a 7% or 10% change
// through 1% or 3% noise, or with one run in ten slowed, by a third of a run at most, some up
// and some down; the simplest was kept.
const FirstLookShare = 0.5

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
// when its test's p < Alpha(k), and the Alphas of all possible looks sum to MaxP, so the
// probability that any look at an A/A comparison passes the p-value test is at most MaxP
// whatever the correlation between looks (Bonferroni), as long as each look's test holds its
// level. The verdict's other conditions (an interval that excludes 1 and an effect of at least
// MinEffect) only make a false positive rarer. Which test a look uses is decided by its number
// of runs and its Alpha alone, before the data are seen (TestFor), so the bound holds.
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
// looks with fewer than MinDecisiveRuns a side (they can only stop as unchanged); the first
// look that can decide spends FirstLookShare of maxP, and every later look an equal part of
// the rest.
func (s Sequential) Alpha(n int, maxP float64) float64 {
	if s.Max <= s.Min {
		return maxP
	}
	first := max(s.Min, MinDecisiveRuns)
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

// Look judges the runs taken so far. It returns the comparison (with the p-value threshold
// of this look) and whether sampling stops here. Before Min runs a side it never stops.
func (s Sequential) Look(base, head [][]float64, higherIsBetter bool, t Thresholds) (Comparison, bool) {
	n := min(len(base), len(head))
	look := t
	look.MaxP = s.Alpha(n, t.MaxP) // 0 when too early to call a difference: unchanged or go on
	c := CompareRuns(base, head, higherIsBetter, look)
	switch {
	case s.Max <= s.Min || c.Verdict == Unchanged:
	case look.MaxP == 0:
		c.Reason += fmt.Sprintf(" (With %d runs a side no test can call a difference yet.)", n)
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
