package stats

import (
	"math"
	"sort"
)

// exactLimit bounds the number of arrangements C(m+n, m) for which the exact distribution of U
// is computed. The generating polynomial is built in float64 with subtractions along the way,
// so its integer coefficients must stay exactly representable: 2^52 leaves a factor of two of
// headroom below float64's 2^53. Ten samples a side, the default, is C(20,10) = 184756; the
// normal approximation takes over around 25 a side, where it is accurate to well under 1%.
const exactLimit = 1 << 52

// MannWhitney returns the Mann-Whitney U statistic of a (the number of pairs (x in a, y in b)
// with x > y, ties counting one half) and the two-sided p-value of the hypothesis that both
// samples come from the same distribution. It is exact for small samples without ties and
// uses the normal approximation with tie and continuity corrections otherwise, as scipy's
// mannwhitneyu(method="auto") does. With an empty side the p-value is 1: there is no evidence.
func MannWhitney(a, b []float64) (u, p float64) {
	m, n := len(a), len(b)
	if m == 0 || n == 0 {
		return 0, 1
	}
	ranks, ties := rank(a, b)
	var r1 float64
	for i := 0; i < m; i++ {
		r1 += ranks[i]
	}
	u = r1 - float64(m*(m+1))/2
	if !ties && binomial(m+n, m) <= exactLimit {
		return u, exactP(u, m, n)
	}
	return u, normalP(u, m, n, ranks)
}

// rank returns the mid-ranks (1-based, ties averaged) of a followed by b, and whether any
// value was tied.
func rank(a, b []float64) ([]float64, bool) {
	type item struct {
		v float64
		i int
	}
	all := make([]item, 0, len(a)+len(b))
	for i, v := range a {
		all = append(all, item{v, i})
	}
	for i, v := range b {
		all = append(all, item{v, len(a) + i})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	ranks := make([]float64, len(all))
	ties := false
	for i := 0; i < len(all); {
		j := i
		for j+1 < len(all) && all[j+1].v == all[i].v {
			j++
		}
		if j > i {
			ties = true
		}
		mid := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			ranks[all[k].i] = mid
		}
		i = j + 1
	}
	return ranks, ties
}

// exactP is the two-sided exact p-value: twice the smaller tail of U's null distribution,
// capped at 1. Under the null hypothesis every arrangement of the m+n ranks is equally likely;
// the number of arrangements giving U = k is the coefficient of q^k in the Gaussian binomial
// [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i).
func exactP(u float64, m, n int) float64 {
	counts := uDistribution(m, n)
	total := 0.0
	for _, c := range counts {
		total += c
	}
	k := int(math.Round(u))
	var lower, upper float64
	for i, c := range counts {
		if i <= k {
			lower += c
		}
		if i >= k {
			upper += c
		}
	}
	return math.Min(1, 2*math.Min(lower, upper)/total)
}

// uDistribution returns the number of arrangements giving each value of U, 0..m*n.
func uDistribution(m, n int) []float64 {
	size := m*n + 1
	poly := make([]float64, size)
	poly[0] = 1
	for i := 1; i <= m; i++ {
		// Multiply by (1 - q^(n+i)), truncated to the degrees that can occur.
		for k := size - 1; k >= n+i; k-- {
			poly[k] -= poly[k-n-i]
		}
		// Divide by (1 - q^i): the quotient's coefficients are running sums with stride i.
		for k := i; k < size; k++ {
			poly[k] += poly[k-i]
		}
	}
	return poly
}

// normalP is the two-sided p-value from the normal approximation of U, with the variance
// corrected for ties and a continuity correction of one half.
func normalP(u float64, m, n int, ranks []float64) float64 {
	mf, nf := float64(m), float64(n)
	total := mf + nf
	// Tie correction: sum of t^3 - t over groups of tied values.
	counts := map[float64]int{}
	for _, r := range ranks {
		counts[r]++
	}
	tieSum := 0.0
	for _, t := range counts {
		tf := float64(t)
		tieSum += tf*tf*tf - tf
	}
	variance := mf * nf / 12 * ((total + 1) - tieSum/(total*(total-1)))
	if variance <= 0 {
		return 1 // every value is the same: no evidence of a difference
	}
	mean := mf * nf / 2
	d := math.Abs(u-mean) - 0.5
	if d < 0 {
		d = 0
	}
	z := d / math.Sqrt(variance)
	return math.Min(1, math.Erfc(z/math.Sqrt2))
}

// binomial returns C(n, k) as a float64 (it only has to be compared against exactLimit).
func binomial(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	if k > n-k {
		k = n - k
	}
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}
