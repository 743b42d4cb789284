package stats

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
)

// BootstrapResamples is how many resamples the interval is computed from. The 2.5% tail of
// 4000 resamples holds 100 of them, enough that the interval's ends move by well under a
// tenth of a percent between seeds; it costs about a millisecond for ten samples a side.
const BootstrapResamples = 4000

// SpeedupCI returns a percentile-bootstrap confidence interval, at the given level (0.95 for
// 95%), of the speedup of head over base: median(base)/median(head) when lower values are
// better, median(head)/median(base) when higher ones are. Each side is resampled with
// replacement independently, as the two sides are independent runs. It is SpeedupCIRuns with
// one value per run.
func SpeedupCI(base, head []float64, higherIsBetter bool, level float64) (low, high float64) {
	return SpeedupCIRuns(Singletons(base), Singletons(head), higherIsBetter, level)
}

// SpeedupCIRuns is the interval of the speedup when each run (process) reported several
// values. Runs are the unit of independence: values inside one run share its process, its
// memory layout, its clocks, and are not independent draws. The bootstrap is therefore in two
// stages (Davison and Hinkley's hierarchical resampling): each resample draws the side's runs
// with replacement, then each drawn run's values with replacement; a run is summarised by the
// median of its values and a side by the median of its runs (as Summarize does). With one
// value per run it is the ordinary bootstrap of the medians. The second stage adds the
// within-run spread to the between-run spread the first stage already sees, so the interval
// errs on the wide side rather than treating a thousand correlated values as a thousand
// independent ones.
//
// The random source is seeded from the values themselves, so the interval is a pure function
// of its inputs: replaying a stored measurement, or recomputing it from its values, gives the
// same numbers.
func SpeedupCIRuns(base, head [][]float64, higherIsBetter bool, level float64) (low, high float64) {
	base, head = nonEmpty(base), nonEmpty(head)
	if len(base) == 0 || len(head) == 0 {
		return math.NaN(), math.NaN()
	}
	rng := rand.New(rand.NewPCG(seed(base, head)))
	ratios := make([]float64, 0, BootstrapResamples)
	bs := make([]float64, len(base))
	hs := make([]float64, len(head))
	var scratch []float64
	draw := func(runs [][]float64, out []float64) {
		for i := range out {
			run := runs[rng.IntN(len(runs))]
			if len(run) == 1 {
				out[i] = run[0] // no second stage: the same draws as a one-stage bootstrap
				continue
			}
			scratch = scratch[:0]
			for range run {
				scratch = append(scratch, run[rng.IntN(len(run))])
			}
			out[i] = medianInPlace(scratch)
		}
		sort.Float64s(out)
	}
	for r := 0; r < BootstrapResamples; r++ {
		draw(base, bs)
		draw(head, hs)
		s := speedup(medianSorted(bs), medianSorted(hs), higherIsBetter)
		if !math.IsNaN(s) && !math.IsInf(s, 0) {
			ratios = append(ratios, s)
		}
	}
	if len(ratios) == 0 {
		return math.NaN(), math.NaN()
	}
	sort.Float64s(ratios)
	alpha := (1 - level) / 2
	return quantileSorted(ratios, alpha), quantileSorted(ratios, 1-alpha)
}

// speedup is >1 when head is better, whatever the direction.
func speedup(baseMedian, headMedian float64, higherIsBetter bool) float64 {
	if higherIsBetter {
		return headMedian / baseMedian
	}
	return baseMedian / headMedian
}

// seed hashes the values (their bit patterns, in order, with the side boundary) into the two
// words a PCG source takes. Run boundaries enter only when some run has more than one value,
// so one value per run seeds exactly as the one-stage bootstrap always has.
func seed(base, head [][]float64) (uint64, uint64) {
	h := fnv.New128a()
	var buf [8]byte
	word := func(x uint64) {
		binary.LittleEndian.PutUint64(buf[:], x)
		h.Write(buf[:])
	}
	grouped := false
	write := func(runs [][]float64) {
		n := 0
		for _, r := range runs {
			n += len(r)
			grouped = grouped || len(r) != 1
		}
		word(uint64(n))
		for _, r := range runs {
			for _, x := range r {
				word(math.Float64bits(x))
			}
		}
	}
	write(base)
	write(head)
	if grouped {
		for _, side := range [][][]float64{base, head} {
			for _, r := range side {
				word(uint64(len(r)))
			}
		}
	}
	sum := h.Sum(nil)
	return binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:])
}

// medianInPlace is the median of xs, reordering xs: quickselect, linear on average, where
// sorting each resampled run made the two-stage bootstrap three times slower.
func medianInPlace(xs []float64) float64 {
	n := len(xs)
	hi := selectKth(xs, n/2)
	if n%2 == 1 {
		return hi
	}
	// The lower middle is the largest value left of the upper one.
	lo := xs[0]
	for _, x := range xs[1 : n/2] {
		lo = max(lo, x)
	}
	return (lo + hi) / 2
}

// selectKth puts the k-th smallest value (0-based) of xs at xs[k], smaller or equal ones
// before it and larger or equal ones after, and returns it (Hoare's selection with a
// middle pivot: the values are resampled at random, so no adversarial order arises).
func selectKth(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		pivot := xs[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}
