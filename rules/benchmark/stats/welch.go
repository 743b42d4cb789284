package stats

import "math"

// WelchLog is Welch's unequal-variances t-test on the logarithms of a and b: the statistic
// (mean log a - mean log b) / its standard error, the Welch-Satterthwaite degrees of freedom
// and the two-sided p-value of the hypothesis that the logs have the same mean.
//
// On logs because timings are multiplicative: a change of code scales a run's time, and noise
// is a percentage of it, so log times are close to symmetric and a difference of mean logs is
// the log of a ratio, the same scale as the speedup. Welch rather than Student because the two
// sides' spreads may differ (a faster head often varies less).
//
// The p-value is not floored by the number of samples, unlike the exact rank test's 2/C(2n, n)
// (0.1 at 3 a side): with 3 runs a side whose spreads are 1%, a 10% difference gives t ≈ 12.
// It is trustworthy only when the logs are close to normal; see Sequential for where it is
// used and why. It gives no evidence (p = 1) when a side has fewer than two values, when a
// value is not positive, or when both sides have no spread at all: runs that all report the
// same number on each side are as likely a coarse clock as a deterministic metric, and a
// t-test of zero spread would call any difference certain.
func WelchLog(a, b []float64) (t, df, p float64) {
	if len(a) < 2 || len(b) < 2 {
		return math.NaN(), math.NaN(), 1
	}
	la, ok1 := logs(a)
	lb, ok2 := logs(b)
	if !ok1 || !ok2 {
		return math.NaN(), math.NaN(), 1
	}
	ma, va := meanVar(la)
	mb, vb := meanVar(lb)
	na, nb := float64(len(la)), float64(len(lb))
	sa, sb := va/na, vb/nb // squared standard errors of the means
	se2 := sa + sb
	if se2 <= 0 || math.IsNaN(se2) {
		return math.NaN(), math.NaN(), 1
	}
	t = (ma - mb) / math.Sqrt(se2)
	df = se2 * se2 / (sa*sa/(na-1) + sb*sb/(nb-1))
	return t, df, studentTwoSided(t, df)
}

func logs(xs []float64) ([]float64, bool) {
	out := make([]float64, len(xs))
	for i, x := range xs {
		if !(x > 0) || math.IsInf(x, 0) {
			return nil, false
		}
		out[i] = math.Log(x)
	}
	return out, true
}

// meanVar is the mean and the unbiased sample variance, computed around the mean (two
// passes), as the logs of close timings differ only in their last digits.
func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs)-1)
}
