package dataset

import (
	"maps"
	"slices"

	"github.com/isobench/isobench/rules/artifact"
)

// pTest names the test of a p-value: a measurement made before the test was recorded has
// Mann-Whitney p-values, the only test there was; no p-value, no test.
func pTest(s artifact.Stats) *string {
	switch {
	case finitePtr(s.PValue) == nil:
		return nil
	case s.Test == "":
		return str("mann-whitney")
	}
	return str(s.Test)
}

// comparison is a comparison's speedup, interval, p-value and test, NaN and infinities null:
// the columns a record, a metric and a variant (over base, over head) each carry.
func comparison(s artifact.Stats) (speedup, ciLow, ciHigh, pValue *float64, test *string) {
	return finitePtr(s.Speedup), finitePtr(s.CILow), finitePtr(s.CIHigh), finitePtr(s.PValue), pTest(s)
}

// setRuns fills what a measurement says about its runs: every metric with its values grouped
// by run, how sampling went, and the flagged runs. A measurement made before runs could
// report several values has no Metrics: its one metric is rebuilt from its values and stats,
// one value per run, so every record has the same columns.
func setRuns(r *Record, m *artifact.Measurement) {
	metrics := m.Metrics
	if len(metrics) == 0 && (len(m.BaseValues) > 0 || len(m.HeadValues) > 0) {
		metrics = []artifact.MetricResult{{Name: m.Metric, Unit: m.Unit, Direction: m.Direction, Primary: true,
			BaseRuns: singletons(m.BaseValues), HeadRuns: singletons(m.HeadValues), Stats: m.Stats}}
	}
	for _, mr := range metrics {
		rec := MetricRecord{Name: mr.Name, Unit: str(mr.Unit), Direction: mr.Direction, Primary: mr.Primary,
			BaseRuns: runValues(mr.BaseRuns), HeadRuns: runValues(mr.HeadRuns),
			BaseMedian: finitePtr(mr.Stats.BaseMedian), HeadMedian: finitePtr(mr.Stats.HeadMedian),
			Verdict: str(mr.Stats.Verdict), VerdictReason: str(mr.Stats.Reason)}
		rec.Speedup, rec.CILow, rec.CIHigh, rec.PValue, rec.PTest = comparison(mr.Stats)
		r.Metrics = append(r.Metrics, rec)
	}
	if s := m.Sampling; s != nil {
		r.Sampling = &Sampling{Mode: s.Mode, Min: int64(s.Min), Max: int64(s.Max), Warmup: int64(s.Warmup),
			BaseRuns: int64(s.BaseRuns), HeadRuns: int64(s.HeadRuns), Looks: int64(s.Looks), Stopped: s.Stopped}
		flagged, loaded := int64(m.FlaggedSamples), int64(m.LoadedSamples)
		r.FlaggedRuns, r.LoadedRuns, r.FlaggedPolicy = &flagged, &loaded, str(m.FlaggedPolicy)
	}
}

func runValues(runs [][]float64) []RunValues {
	out := make([]RunValues, len(runs))
	for i, r := range runs {
		out[i] = RunValues{Values: []float64{}}
		for _, v := range r {
			if p := finite(v); p != nil {
				out[i].Values = append(out[i].Values, *p)
			}
		}
	}
	return out
}

// singletons makes each value a run of its own, the shape of an older record's values.
func singletons(xs []float64) [][]float64 {
	runs := make([][]float64, len(xs))
	for i, x := range xs {
		runs[i] = []float64{x}
	}
	return runs
}

// preload is what a measurement with preload recorded of it, its sides in name order; nil
// when every run was a fresh process.
func preload(m *artifact.Measurement) *Preload {
	p := m.Preload
	if p == nil {
		return nil
	}
	out := &Preload{Modules: p.Modules, ScriptImports: p.ScriptImports}
	for _, side := range slices.Sorted(maps.Keys(p.Sides)) {
		s := p.Sides[side]
		out.Sides = append(out.Sides, PreloadSide{Side: string(side), Imported: s.Imported, Skipped: s.Skipped,
			Seconds: s.Seconds, Threads: int64(s.Threads), CUDAAtImport: str(s.CUDAAtImport)})
	}
	return out
}
