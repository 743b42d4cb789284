package stats

import (
	"fmt"
	"math"
)

// Verdicts.
const (
	Improved  = "improved"
	Regressed = "regressed"
	Unchanged = "unchanged"
	Noisy     = "noisy"
)

// Thresholds decide the verdict. Users change them per benchmark with a `verdict` block.
type Thresholds struct {
	// Confidence is the level of the bootstrap interval of the speedup.
	Confidence float64
	// MaxP is the largest p-value that counts as a difference (of the test TestFor chooses).
	MaxP float64
	// MinEffect is the smallest relative change that counts: 0.05 means head must be at least
	// 5% faster (speedup >= 1.05) to be improved, or 5% slower (speedup <= 1/1.05) to be
	// regressed. It is also the half-width of the band an unchanged result must fit in.
	MinEffect float64
}

// DefaultThresholds are the documented defaults. A 95% interval is the convention readers
// expect. p < 0.01 rather than 0.05 because a dataset holds hundreds of comparisons and each
// false "improvement" teaches a model the wrong lesson; with ten samples a side, the default,
// a clean 10% change still reaches p ≈ 1e-5. A 5% minimum effect because upstream's data shows
// that single runs of real tests wander by about ±2%: 17 of its 43 human "improvements" were
// inside that band, and a change below 5% is rarely what a commit set out to do.
var DefaultThresholds = Thresholds{Confidence: 0.95, MaxP: 0.01, MinEffect: 0.05}

// Validate reports thresholds that cannot work, as a sentence.
func (t Thresholds) Validate() error {
	switch {
	case !(t.Confidence > 0 && t.Confidence < 1):
		return fmt.Errorf("the verdict confidence must be between 0 and 1 (exclusive), not %g", t.Confidence)
	case !(t.MaxP > 0 && t.MaxP <= 1):
		return fmt.Errorf("the verdict max_p_value must be above 0 and at most 1, not %g", t.MaxP)
	case !(t.MinEffect >= 0):
		return fmt.Errorf("the verdict min_effect must be 0 or more, not %g", t.MinEffect)
	}
	return nil
}

// Comparison is the statistical summary of base against head. Fields are NaN when they cannot
// be computed (no samples on a side).
type Comparison struct {
	BaseMedian, HeadMedian float64
	BaseMAD, HeadMAD       float64
	Speedup                float64 // >1 when head is better
	CILow, CIHigh          float64
	U                      float64 // the Mann-Whitney U statistic of base's run medians
	P                      float64 // two-sided p-value of Test
	Test                   string  // TestMannWhitney or TestWelch (TestFor)
	Verdict                string
	Reason                 string // one sentence saying why
}

// Compare computes the comparison of head against base. higherIsBetter says which direction
// of the metric is an improvement (false for times, true for throughputs).
//
// The verdict is:
//   - improved: the interval lies above 1, p < MaxP and the speedup is at least 1+MinEffect;
//   - regressed: the interval lies below 1, p < MaxP and the speedup is at most 1/(1+MinEffect);
//   - unchanged: otherwise, when the whole interval lies within [1/(1+MinEffect), 1+MinEffect]:
//     the data rule out a change as large as MinEffect either way (an equivalence test);
//   - noisy: otherwise: the samples can neither show a change of MinEffect nor rule one out.
//     More samples or a quieter machine would decide.
//
// The p-value is the rank test's where it can reach MaxP with a pair of runs out of order and
// Welch's t-test on log run medians below that (TestFor), so that 3 runs a side can call a
// clear change: the exact rank test's smallest p is 2/C(2n, n), 0.1 at 3 runs a side.
func Compare(base, head []float64, higherIsBetter bool, t Thresholds) Comparison {
	return CompareRuns(Singletons(base), Singletons(head), higherIsBetter, t)
}

// CompareRuns is Compare for runs that each reported several values. Each run counts once:
// the medians, MADs and the tests are those of the runs' medians (Summarize), and
// the interval comes from the two-stage bootstrap over runs and then values (SpeedupCIRuns).
// With one value per run it is exactly Compare.
func CompareRuns(base, head [][]float64, higherIsBetter bool, t Thresholds) Comparison {
	b, h := Summarize(base), Summarize(head)
	c := Comparison{
		BaseMedian: Median(b), HeadMedian: Median(h),
		BaseMAD: MAD(b), HeadMAD: MAD(h),
	}
	c.Speedup = speedup(c.BaseMedian, c.HeadMedian, higherIsBetter)
	c.CILow, c.CIHigh = SpeedupCIRuns(base, head, higherIsBetter, t.Confidence)
	c.U, c.P = MannWhitney(b, h)
	if c.Test = TestFor(min(len(b), len(h)), t.MaxP); c.Test == TestWelch {
		c.P = welchP(b, h)
	}
	if len(b) == 0 || len(h) == 0 || !finite(c.Speedup) || !finite(c.CILow) || !finite(c.CIHigh) {
		c.Verdict = Noisy
		c.Reason = "There are not enough valid samples on both sides to compare them."
		return c
	}
	c.Verdict, c.Reason = decide(c, t)
	return c
}

func decide(c Comparison, t Thresholds) (string, string) {
	up, down := 1+t.MinEffect, 1/(1+t.MinEffect)
	ci := fmt.Sprintf("the %.4g%% interval of the speedup is [%.4f, %.4f]", t.Confidence*100, c.CILow, c.CIHigh)
	switch {
	case c.CILow > 1 && c.P < t.MaxP && c.Speedup >= up:
		return Improved, fmt.Sprintf("Head is %.1f%% better: %s, above 1, and p = %.2g < %g (%s).",
			(c.Speedup-1)*100, ci, c.P, t.MaxP, testName[c.Test])
	case c.CIHigh < 1 && c.P < t.MaxP && c.Speedup <= down:
		return Regressed, fmt.Sprintf("Head is %.1f%% worse: %s, below 1, and p = %.2g < %g (%s).",
			(1/c.Speedup-1)*100, ci, c.P, t.MaxP, testName[c.Test])
	case c.CILow >= down && c.CIHigh <= up:
		return Unchanged, fmt.Sprintf("Any change is smaller than %g%%: %s, inside [%.4f, %.4f].",
			t.MinEffect*100, ci, down, up)
	}
	return Noisy, fmt.Sprintf("The samples can neither show a change of %g%% nor rule one out: %s and p = %.2g (%s).",
		t.MinEffect*100, ci, c.P, testName[c.Test])
}

// testName is how a verdict's sentence names its test.
var testName = map[string]string{
	TestMannWhitney: "Mann-Whitney over run medians",
	TestWelch:       "Welch's t on log run medians",
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
