package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMedianMADQuantile(t *testing.T) {
	cases := []struct {
		xs          []float64
		median, mad float64
	}{
		{[]float64{3, 1, 2}, 2, 1},
		{[]float64{4, 1, 3, 2}, 2.5, 1},
		{[]float64{1, 1, 1, 100}, 1, 0}, // one wild sample moves neither
		{[]float64{7}, 7, 0},
	}
	for _, c := range cases {
		if got := Median(c.xs); got != c.median {
			t.Errorf("Median(%v) = %g, want %g", c.xs, got, c.median)
		}
		if got := MAD(c.xs); got != c.mad {
			t.Errorf("MAD(%v) = %g, want %g", c.xs, got, c.mad)
		}
	}
	if !math.IsNaN(Median(nil)) || !math.IsNaN(MAD(nil)) {
		t.Error("Median and MAD of no values must be NaN")
	}
	xs := []float64{10, 20, 30, 40, 50}
	for q, want := range map[float64]float64{0: 10, 0.25: 20, 0.5: 30, 0.1: 14, 1: 50} {
		if got := Quantile(xs, q); math.Abs(got-want) > 1e-12 {
			t.Errorf("Quantile(%v, %g) = %g, want %g", xs, q, got, want)
		}
	}
	in := []float64{3, 1, 2}
	Median(in)
	if in[0] != 3 || in[1] != 1 {
		t.Error("Median must not reorder its argument")
	}
}

func TestMannWhitneyKnownValues(t *testing.T) {
	// Complete separation of 3 against 3: U = 0, and the exact two-sided p is 2/C(6,3) = 0.1.
	u, p := MannWhitney([]float64{1, 2, 3}, []float64{4, 5, 6})
	if u != 0 || math.Abs(p-0.1) > 1e-12 {
		t.Errorf("MannWhitney(1..3, 4..6) = (%g, %g), want (0, 0.1)", u, p)
	}
	// Ten against ten, completely separated: p = 2/C(20,10).
	var a, b []float64
	for i := 1; i <= 10; i++ {
		a = append(a, float64(i))
		b = append(b, float64(i+10))
	}
	u, p = MannWhitney(b, a)
	if u != 100 || math.Abs(p-2.0/184756) > 1e-15 {
		t.Errorf("MannWhitney(11..20, 1..10) = (%g, %g), want (100, %g)", u, p, 2.0/184756)
	}
	// Perfectly interleaved samples: U is at the centre and p is 1.
	_, p = MannWhitney([]float64{1, 4, 5, 8}, []float64{2, 3, 6, 7})
	if p != 1 {
		t.Errorf("interleaved samples give p = %g, want 1", p)
	}
	// All values equal: no evidence at all.
	_, p = MannWhitney([]float64{2, 2, 2}, []float64{2, 2, 2})
	if p != 1 {
		t.Errorf("identical samples give p = %g, want 1", p)
	}
	if _, p := MannWhitney(nil, []float64{1}); p != 1 {
		t.Errorf("an empty side gives p = %g, want 1", p)
	}
}

// TestExactDistributionByEnumeration checks the Gaussian-binomial distribution of U against a
// brute-force count over every way of choosing which ranks belong to the first sample.
func TestExactDistributionByEnumeration(t *testing.T) {
	for m := 1; m <= 6; m++ {
		for n := 1; n <= 6; n++ {
			want := make([]float64, m*n+1)
			total := m + n
			for mask := 0; mask < 1<<total; mask++ {
				if popcount(mask) != m {
					continue
				}
				// U counts pairs (x, y) with x from the first sample ranked above y.
				u, ys := 0, 0
				for r := 0; r < total; r++ {
					if mask&(1<<r) != 0 {
						u += ys
					} else {
						ys++
					}
				}
				want[u]++
			}
			got := uDistribution(m, n)
			for k := range want {
				if got[k] != want[k] {
					t.Fatalf("uDistribution(%d, %d)[%d] = %g, want %g", m, n, k, got[k], want[k])
				}
			}
		}
	}
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// TestNormalApproximationAgreesWithExact: at 20 a side both methods apply, and for a moderate
// p-value they must agree closely, or one of them is wrong.
func TestNormalApproximationAgreesWithExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var a, b []float64
	for i := 0; i < 20; i++ {
		a = append(a, rng.NormFloat64())
		b = append(b, rng.NormFloat64()+0.6)
	}
	u, exact := MannWhitney(a, b)
	ranks, _ := rank(a, b)
	approx := normalP(u, 20, 20, ranks)
	if exact > 0.2 || exact < 1e-4 {
		t.Fatalf("the test data should give a moderate p-value, got %g", exact)
	}
	if rel := math.Abs(approx-exact) / exact; rel > 0.1 {
		t.Errorf("normal approximation %g differs from exact %g by %.0f%%", approx, exact, rel*100)
	}
}

func TestSpeedupCI(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	base := noisy(rng, 1.0, 0.01, 10)
	head := noisy(rng, 1.0/1.2, 0.01, 10) // head takes 1/1.2 of the time: speedup 1.2
	lo, hi := SpeedupCI(base, head, false, 0.95)
	if !(lo < 1.2 && 1.2 < hi) || lo < 1.1 || hi > 1.3 {
		t.Errorf("interval [%g, %g] should cover 1.2 tightly", lo, hi)
	}
	lo2, hi2 := SpeedupCI(base, head, false, 0.95)
	if lo != lo2 || hi != hi2 {
		t.Error("the interval must be a pure function of the samples")
	}
	// Higher is better: the same numbers read as throughputs mean head got slower.
	lo3, hi3 := SpeedupCI(base, head, true, 0.95)
	if math.Abs(lo3-1/hi) > 1e-12 || math.Abs(hi3-1/lo) > 1e-12 {
		t.Errorf("higher-is-better interval [%g, %g] should be the reciprocal of [%g, %g]", lo3, hi3, lo, hi)
	}
	if lo, _ := SpeedupCI(nil, head, false, 0.95); !math.IsNaN(lo) {
		t.Error("no base samples must give NaN")
	}
}

func TestCompareVerdicts(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		name       string
		base, head []float64
		higher     bool
		want       string
	}{
		{"20% faster", noisy(rng, 1, 0.01, 10), noisy(rng, 1/1.2, 0.01, 10), false, Improved},
		{"20% slower", noisy(rng, 1, 0.01, 10), noisy(rng, 1.2, 0.01, 10), false, Regressed},
		{"throughput up", noisy(rng, 100, 0.01, 10), noisy(rng, 120, 0.01, 10), true, Improved},
		{"A/A", noisy(rng, 1, 0.01, 10), noisy(rng, 1, 0.01, 10), false, Unchanged},
		{"very noisy", noisy(rng, 1, 0.4, 10), noisy(rng, 1, 0.4, 10), false, Noisy},
		// Real and measurable, but smaller than the 5% that counts: never "improved".
		{"2% faster", noisy(rng, 1, 0.002, 10), noisy(rng, 1/1.02, 0.002, 10), false, Unchanged},
		// Three runs a side call a clear change (Welch's test, TestFor)...
		{"3 a side", []float64{1, 1.01, 1.02}, []float64{0.5, 0.51, 0.52}, false, Improved},
		// ...but not one that a run's noise could make (the runs differ by 10%)...
		{"3 a side, noisy runs", []float64{1, 1.1, 0.95}, []float64{0.9, 0.85, 0.95}, false, Noisy},
		// ...and two never do, however clear the difference.
		{"2 a side", []float64{1, 1.01}, []float64{0.5, 0.51}, false, Noisy},
	}
	for _, c := range cases {
		got := Compare(c.base, c.head, c.higher, DefaultThresholds)
		if got.Verdict != c.want {
			t.Errorf("%s: verdict %s (%s), want %s", c.name, got.Verdict, got.Reason, c.want)
		}
		if got.Reason == "" {
			t.Errorf("%s: the verdict has no reason", c.name)
		}
	}
	// A 2% change becomes an improvement when the user asks for 1%.
	base, head := noisy(rng, 1, 0.002, 10), noisy(rng, 1/1.02, 0.002, 10)
	if v := Compare(base, head, false, Thresholds{Confidence: 0.95, MaxP: 0.01, MinEffect: 0.01}).Verdict; v != Improved {
		t.Errorf("with min_effect 0.01 a 2%% speedup is %s, want improved", v)
	}
	if c := Compare(nil, head, false, DefaultThresholds); c.Verdict != Noisy {
		t.Errorf("no base samples give %s, want noisy", c.Verdict)
	}
}

// TestDefaultsErrorRates is the statistical promise of the defaults on simulated timings with
// 2% log-normal noise and the default ten samples a side: A/A comparisons are rarely called
// different, and a true 10% change is nearly always found. scripts/bench-stats checks the same
// promise with real processes on this machine.
func TestDefaultsErrorRates(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const trials = 300
	falsePositive, detected := 0, 0
	for i := 0; i < trials; i++ {
		if v := Compare(noisy(rng, 1, 0.02, 10), noisy(rng, 1, 0.02, 10), false, DefaultThresholds).Verdict; v == Improved || v == Regressed {
			falsePositive++
		}
		if Compare(noisy(rng, 1, 0.02, 10), noisy(rng, 1/1.1, 0.02, 10), false, DefaultThresholds).Verdict == Improved {
			detected++
		}
	}
	if rate := float64(falsePositive) / trials; rate > 0.05 {
		t.Errorf("A/A false positive rate %.3f, want <= 0.05", rate)
	}
	if rate := float64(detected) / trials; rate < 0.9 {
		t.Errorf("10%% detection rate %.3f, want >= 0.9", rate)
	}
}

func TestThresholdsValidate(t *testing.T) {
	if err := DefaultThresholds.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Thresholds{
		{Confidence: 1, MaxP: 0.01, MinEffect: 0.05},
		{Confidence: 0.95, MaxP: 0, MinEffect: 0.05},
		{Confidence: 0.95, MaxP: 0.01, MinEffect: -1},
		{Confidence: math.NaN(), MaxP: 0.01, MinEffect: 0.05},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v should be rejected", bad)
		}
	}
}

// noisy returns n samples around center with log-normal noise of the given sigma.
func noisy(rng *rand.Rand, center, sigma float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = center * math.Exp(sigma*rng.NormFloat64())
	}
	return xs
}
