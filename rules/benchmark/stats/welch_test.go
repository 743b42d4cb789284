package stats

import (
	"math"
	"testing"
)

func TestStudentTwoSided(t *testing.T) {
	// Two-sided 5% critical values from the t table (to their 4 digits), and df = 2, where the
	// tail has a closed form: P(|T| >= t) = 1 - t/sqrt(2+t²).
	for _, c := range []struct{ t, df, p, tol float64 }{
		{12.706, 1, 0.05, 1e-3}, {4.303, 2, 0.05, 1e-3}, {2.776, 4, 0.05, 1e-3}, {2.228, 10, 0.05, 1e-3}, {1.960, 1e6, 0.05, 1e-3},
		{9.925, 2, 1 - 9.925/math.Sqrt(2+9.925*9.925), 1e-10}, {100, 2, 1 - 100/math.Sqrt(2+100*100), 1e-10},
		{0, 3, 1, 1e-12},
	} {
		if got := studentTwoSided(c.t, c.df); math.Abs(got-c.p) > c.tol*c.p {
			t.Errorf("P(|T| >= %g) with %g df = %g, want %g", c.t, c.df, got, c.p)
		}
	}
	if p := studentTwoSided(math.Inf(1), 3); p != 0 {
		t.Errorf("an infinite t gives p = %g, want 0", p)
	}
}

func TestWelchLog(t *testing.T) {
	// One side without spread: df is the other side's n-1 = 2, and t = -2/sqrt(1/3).
	a := []float64{1, 1, 1}
	b := []float64{math.Exp(1), math.Exp(2), math.Exp(3)}
	tt, df, p := WelchLog(a, b)
	wantT := -2 / math.Sqrt(1.0/3)
	if math.Abs(tt-wantT) > 1e-12 || math.Abs(df-2) > 1e-12 || math.Abs(p-(1+wantT/math.Sqrt(2+wantT*wantT))) > 1e-9 {
		t.Errorf("WelchLog = (%g, %g, %g), want (%g, 2, %g)", tt, df, p, wantT, 1+wantT/math.Sqrt(2+wantT*wantT))
	}
	// Equal spreads, 3 a side: df = 4. A 10% change through 1% noise is far beyond chance.
	if _, df, p := WelchLog([]float64{1, 1.01, 0.99}, []float64{1.1, 1.111, 1.089}); math.Abs(df-4) > 0.01 || p > 1e-3 {
		t.Errorf("10%% through 1%% noise: df %g, p %g; want 4 and p < 1e-3", df, p)
	}
	for _, c := range []struct {
		name string
		a, b []float64
	}{
		{"no spread on either side", []float64{2, 2, 2}, []float64{3, 3, 3}},
		{"one run a side", []float64{1}, []float64{2}},
		{"a value that is not positive", []float64{1, 0, 1}, []float64{2, 2.1, 2.2}},
	} {
		if _, _, p := WelchLog(c.a, c.b); p != 1 {
			t.Errorf("%s: p = %g, want 1 (no evidence)", c.name, p)
		}
	}
}

func TestTestFor(t *testing.T) {
	for _, c := range []struct {
		n    int
		maxP float64
		want string
	}{
		{10, 0.01, TestMannWhitney}, // fixed sampling's default: as before
		{6, 0.01, TestMannWhitney},  // 4/C(12,6) = 0.0043
		{5, 0.01, TestWelch},        // 4/C(10,5) = 0.016: only perfect separation could decide
		{3, 0.005, TestWelch},
		{8, 1.9e-4, TestWelch},       // a later adaptive look
		{9, 1.9e-4, TestMannWhitney}, // 4/C(18,9) = 8.2e-5
		{2, 0.01, TestMannWhitney},   // below MinDecisiveRuns nothing decides
	} {
		if got := TestFor(c.n, c.maxP); got != c.want {
			t.Errorf("TestFor(%d, %g) = %s, want %s", c.n, c.maxP, got, c.want)
		}
	}
	// Where the rank test is chosen the comparison's p is exactly its p-value, so fixed
	// sampling's verdicts at 6 runs a side and more are those of earlier versions.
	base, head := []float64{1, 1.2, 1.1, 0.9, 1.05, 1.15, 1, 0.95, 1.3, 1.02}, []float64{0.8, 0.85, 1.1, 0.9, 0.7, 0.75, 0.8, 0.95, 0.81, 0.83}
	_, p := MannWhitney(base, head)
	if c := Compare(base, head, false, DefaultThresholds); c.Test != TestMannWhitney || c.P != p {
		t.Errorf("10 a side: %s p = %g, want mann-whitney p = %g", c.Test, c.P, p)
	}
}
