package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRunsOfOneValueAreTheOneStageBootstrap(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	base, head := noisy(rng, 1, 0.02, 10), noisy(rng, 0.9, 0.02, 10)
	a, b := Compare(base, head, false, DefaultThresholds), CompareRuns(Singletons(base), Singletons(head), false, DefaultThresholds)
	if a != b {
		t.Errorf("Compare and CompareRuns of singletons differ:\n%+v\n%+v", a, b)
	}
}

// TestValuesInsideARunAreNotIndependent: a run's many values share its process, so a shift
// between runs (here each run has its own offset) must widen the interval, and a thousand
// values from three runs must not look like a thousand independent samples.
func TestValuesInsideARunAreNotIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	run := func(center float64) []float64 {
		offset := math.Exp(0.05 * rng.NormFloat64()) // the run's own speed
		return noisy(rng, center*offset, 0.005, 200)
	}
	var base, head [][]float64
	var flatBase, flatHead []float64
	for i := 0; i < 4; i++ {
		base, head = append(base, run(1)), append(head, run(1))
		flatBase, flatHead = append(flatBase, base[i]...), append(flatHead, head[i]...)
	}
	grouped := CompareRuns(base, head, false, DefaultThresholds)
	pooled := Compare(flatBase, flatHead, false, DefaultThresholds)
	if grouped.P < 0.1 {
		t.Errorf("A/A runs with 800 values a side give p = %g; runs, not values, are the unit", grouped.P)
	}
	if w, pw := grouped.CIHigh-grouped.CILow, pooled.CIHigh-pooled.CILow; w < 3*pw {
		t.Errorf("the two-stage interval (width %.4f) should be far wider than the pooled one (%.4f)", w, pw)
	}
	if grouped.Verdict == Improved || grouped.Verdict == Regressed {
		t.Errorf("A/A with run-to-run spread is %s: %s", grouped.Verdict, grouped.Reason)
	}
	lo, hi := SpeedupCIRuns(base, head, false, 0.95)
	if lo2, hi2 := SpeedupCIRuns(base, head, false, 0.95); lo != lo2 || hi != hi2 {
		t.Error("the two-stage interval must be a pure function of the values")
	}
}

func TestSequentialSpendsNoMoreThanMaxP(t *testing.T) {
	for _, s := range []Sequential{{5, 30}, {3, 30}, {3, 4}, {10, 10}, {5, 200}, {1, 30}} {
		sum := 0.0
		for n := s.Min; n <= s.Max; n++ {
			a := s.Alpha(n, 0.01)
			if n < MinDecisiveRuns && a != 0 {
				t.Errorf("%+v: a look at %d runs a side, where no test may decide, spends %g", s, n, a)
			}
			sum += a
		}
		if sum > 0.01*(1+1e-12) || sum < 0.01*(1-1e-12) {
			t.Errorf("%+v spends %g over all looks, want 0.01", s, sum)
		}
	}
	if a := (Sequential{3, 30}).Alpha(3, 0.01); a != FirstLookShare*0.01 {
		t.Errorf("the first look at 3 runs a side may spend %g, want %g", a, FirstLookShare*0.01)
	}
}

// TestSequentialStopsEarlyAndStaysHonest simulates adaptive sampling on log-normal timings
// with 2% noise: a 2x change is called at the minimum of 3 runs a side, A/A stops as
// unchanged after a few, and over repeated looks A/A is rarely called different
// while a 10% change is found. With one run in ten slowed by 30% (a neighbour), A/A is still
// rarely called different: the n = 3 looks, where Welch's test decides, are where that would
// break.
func TestSequentialStopsEarlyAndStaysHonest(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	s := Sequential{Min: 3, Max: 30}
	run := func(factor, slowRate float64) (string, int) {
		var base, head [][]float64
		draw := func(center float64) []float64 {
			v := noisy(rng, center, 0.02, 1)
			if rng.Float64() < slowRate {
				v[0] *= 1.3
			}
			return v
		}
		for {
			base = append(base, draw(1))
			head = append(head, draw(1/factor))
			if c, stop := s.Look(base, head, false, DefaultThresholds); stop {
				return c.Verdict, len(base)
			}
		}
	}
	if v, n := run(2, 0); v != Improved || n != 3 {
		t.Errorf("2x: %s after %d runs a side, want improved after 3", v, n)
	}
	const trials = 200
	fp, fpSlow, found, aaRuns := 0, 0, 0, 0
	for i := 0; i < trials; i++ {
		v, n := run(1, 0)
		aaRuns += n
		if v == Improved || v == Regressed {
			fp++
		}
		if v, _ := run(1, 0.1); v == Improved || v == Regressed {
			fpSlow++
		}
		if v, _ := run(1.1, 0); v == Improved {
			found++
		}
	}
	if rate := float64(fp) / trials; rate > 0.05 {
		t.Errorf("A/A false positive rate %.3f, want <= 0.05", rate)
	}
	if rate := float64(fpSlow) / trials; rate > 0.05 {
		t.Errorf("A/A false positive rate with one run in ten slowed 30%%: %.3f, want <= 0.05", rate)
	}
	if rate := float64(found) / trials; rate < 0.9 {
		t.Errorf("10%% detection rate %.3f, want >= 0.9", rate)
	}
	if mean := float64(aaRuns) / trials; mean > 5 {
		t.Errorf("A/A took %.1f runs a side on average, want at most 5", mean)
	}
}

func TestMedianInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for n := 1; n < 40; n++ {
		for trial := 0; trial < 20; trial++ {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = float64(rng.IntN(8)) // ties on purpose
			}
			want := Median(xs)
			if got := medianInPlace(append([]float64(nil), xs...)); got != want {
				t.Fatalf("medianInPlace(%v) = %g, want %g", xs, got, want)
			}
		}
	}
}
