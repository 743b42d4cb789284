package stats

import "math"

// The tests a comparison's p-value may come from, as the record names them.
const (
	TestMannWhitney = "mann-whitney" // exact (or tie-corrected normal) Mann-Whitney U over run medians
	TestWelch       = "welch"        // Welch's t-test on the logs of the run medians
)

// MinDecisiveRuns is the fewest runs a side from which a difference can be called. With two a
// side the exact rank test cannot go below p = 1/3, and Welch's test estimates each side's
// spread from a single difference: two runs that happen to be slowed alike look like a
// certain change.
const MinDecisiveRuns = 3

// TestFor says which test gives the p-value of a comparison with n runs a side (the smaller
// side) whose verdict needs p < maxP. It depends on n and maxP only, never on the values, so
// the p-value keeps its level and adaptive sampling's union bound holds.
//
// The rank test (Mann-Whitney over run medians) where it can call a difference even with one
// pair of runs out of order, that is where 4/C(2n, n) <= maxP: 6 runs a side and more at the
// default p < 0.01, 9 and more at a later adaptive look's 1.9e-4. It assumes nothing about the
// shape of the noise, so a run slowed by a neighbour moves its rank, not its verdict, and its
// level is exact for any distribution. Below that the rank test cannot decide at all (its
// smallest p is 2/C(2n, n): 0.1 at 3 a side, 0.029 at 4, 0.0079 at 5), and Welch's t-test on
// the logs of the run medians takes over (WelchLog): its p-value is not floored by n, so a
// clean large change is called at 3 runs a side.
//
// Welch's level rests on the logs being close to normal, and with 3 runs a side it is most
// exposed: when every run of one side is slowed by a neighbour and none of the other's, the
// data look like a clean change and no test could tell them apart. Simulated (100,000 to
// 200,000 A/A comparisons at 3, 4, 5 and 8 runs a side, at the levels those looks use), its
// false-positive rate stayed at or below its level for log-normal noise of 1% and 3%,
// exponential (skewed) noise, Student t noise with 2 degrees of freedom, Cauchy noise and a
// clock coarser than the noise. With one run in ten slowed by 30% it was 0.53 times the level
// at 3 runs a side and p < 0.005, 1.5 times at p < 0.001; with three runs in ten, 3.8 times
// at p < 0.005: every run of one side slowed and none of the other's happens to 1.9% of such
// A/A comparisons at 3 a side, and no level can catch it. `make bench-stats` measures
// such A/A comparisons on real timings. Not chosen:
//   - a bootstrap test or a studentized bootstrap of the ratio: with 3 runs a side each side
//     has 10 distinct resamples, the bootstrap distribution's variance is too small by a factor
//     (n-1)/n and it cannot represent the t distribution's tails, so its level is far from
//     nominal exactly where the rank test is floored;
//   - a permutation test of the t statistic: as floored as the rank test (20 arrangements of
//     3 against 3);
//   - Yuen's trimmed form of Welch's test (20% of each side's runs trimmed, so from 5 a side
//     a slowed run would not count): simulated, at 5 and 6 runs a side it found a clean 10%
//     change far less often (30% against 99% at 1% noise) and, with three runs in ten slowed,
//     called A/A differences 31 and 9 times as often as its level;
//   - the union of both tests at every look: from 9 runs a side the rank test alone reaches
//     the look's level with room to spare, and splitting the budget would only let Welch's
//     weaker assumptions in where they are not needed.
func TestFor(n int, maxP float64) string {
	if n >= MinDecisiveRuns && 4/binomial(2*n, n) > maxP {
		return TestWelch
	}
	return TestMannWhitney
}

// welchP is WelchLog's p-value, and 1 (no evidence) where it has none.
func welchP(a, b []float64) float64 {
	if _, _, p := WelchLog(a, b); !math.IsNaN(p) {
		return p
	}
	return 1
}
