package stats

// Singletons makes each value a run of its own: the shape of a measurement whose runs each
// reported one value, as every record before many values per run had.
func Singletons(xs []float64) [][]float64 {
	runs := make([][]float64, len(xs))
	for i := range xs {
		runs[i] = xs[i : i+1 : i+1]
	}
	return runs
}

// Summarize reduces each run to the median of its values. The run is the unit of
// independence, so the tests that assume independent observations (Mann-Whitney) see one
// number per run; the median, because a run's first values often still pay for caches or
// clocks warming up, and a median shrugs off a few such values where a mean would not. Runs
// without values are left out.
func Summarize(runs [][]float64) []float64 {
	out := make([]float64, 0, len(runs))
	for _, r := range runs {
		if len(r) > 0 {
			out = append(out, Median(r))
		}
	}
	return out
}

func nonEmpty(runs [][]float64) [][]float64 {
	for _, r := range runs {
		if len(r) == 0 {
			out := make([][]float64, 0, len(runs))
			for _, r := range runs {
				if len(r) > 0 {
					out = append(out, r)
				}
			}
			return out
		}
	}
	return runs
}
