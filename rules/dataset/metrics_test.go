package dataset

import (
	"reflect"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

func recordOf(t *testing.T, m *artifact.Measurement) Record {
	t.Helper()
	return buildRecord(&source{
		benchmark:   engine.Label{Pkg: "benchmarks", Name: "b"},
		measured:    &engine.Outcome{Status: engine.StatusOK},
		measurement: m,
		envs:        map[artifact.Side]*artifact.Environment{},
	})
}

// TestOldRecordsStillReport: a measurement made before runs could report several values (no
// Metrics, no Sampling) becomes a record with its one metric, one value per run; made before
// the test of its p-value was recorded, its p-value is Mann-Whitney's, the only test there was.
func TestOldRecordsStillReport(t *testing.T) {
	m := measurement("//benchmarks:b", "//commits:c", "improved")
	p := 0.001
	m.Stats.PValue = &p
	r := recordOf(t, &m)
	if r.PTest == nil || *r.PTest != "mann-whitney" || r.Metrics[0].PTest == nil || *r.Metrics[0].PTest != "mann-whitney" {
		t.Errorf("the p-value of an old record is from %v (metric %v), want mann-whitney", r.PTest, r.Metrics[0].PTest)
	}
	if len(r.Metrics) != 1 || !r.Metrics[0].Primary || r.Metrics[0].Name != m.Metric || len(r.Metrics[0].BaseRuns) != len(m.BaseValues) ||
		len(r.Metrics[0].BaseRuns[0].Values) != 1 || *r.Metrics[0].Verdict != "improved" {
		t.Errorf("metrics of an old record: %+v", r.Metrics)
	}
	if r.Sampling != nil || r.FlaggedRuns != nil {
		t.Errorf("an old record says nothing of sampling or flags, got %+v %v", r.Sampling, r.FlaggedRuns)
	}
}

// TestRunsAndMetricsRoundTrip: many values per run and many metrics survive both formats.
func TestRunsAndMetricsRoundTrip(t *testing.T) {
	m := measurement("//benchmarks:b", "//commits:c", "improved")
	v := 2.0
	m.Metrics = []artifact.MetricResult{
		{Name: "latency", Unit: "s", Direction: "lower", Primary: true, BaseRuns: [][]float64{{1, 1.1}, {1.2}}, HeadRuns: [][]float64{{0.5, 0.6, 0.55}},
			Stats: artifact.Stats{Speedup: &v, PValue: &v, Test: "welch", Verdict: "improved", Reason: "Head is faster."}},
		{Name: "throughput", Unit: "tok/s", Direction: "higher", BaseRuns: [][]float64{{100}}, HeadRuns: [][]float64{{200}}},
	}
	m.Sampling = &artifact.Sampling{Mode: "adaptive", Min: 3, Max: 30, Warmup: 1, BaseRuns: 5, HeadRuns: 5, Looks: 3, Stopped: "settled"}
	m.FlaggedSamples, m.LoadedSamples, m.FlaggedPolicy = 2, 1, "keep"
	m.Samples[0].Flags = []string{artifact.FlagLowClock}
	m.Samples[0].Warmup = false
	m.Samples[0].GPUs = []artifact.GPURun{{SMClockMedMHz: 1980}}
	r := recordOf(t, &m)
	if len(r.Metrics) != 2 || len(r.Metrics[0].BaseRuns) != 2 || len(r.Metrics[0].BaseRuns[0].Values) != 2 || r.Metrics[1].Direction != "higher" {
		t.Fatalf("metrics %+v", r.Metrics)
	}
	if r.Metrics[0].PTest == nil || *r.Metrics[0].PTest != "welch" || r.Metrics[1].PTest != nil {
		t.Errorf("tests of the metrics' p-values: %v, %v; want welch and none", r.Metrics[0].PTest, r.Metrics[1].PTest)
	}
	if r.Sampling.Stopped != "settled" || *r.FlaggedRuns != 2 || *r.LoadedRuns != 1 || *r.FlaggedPolicy != "keep" {
		t.Errorf("sampling %+v, flags %v %v", r.Sampling, *r.FlaggedRuns, *r.LoadedRuns)
	}
	if r.GPUTelemetry == nil || r.GPUTelemetry.LowClockSamples != 1 || *r.GPUTelemetry.SMClockRunMedianMHz != 1980 {
		t.Errorf("telemetry %+v", r.GPUTelemetry)
	}
	data, err := encodeJSONL([]Record{r})
	if err != nil {
		t.Fatal(err)
	}
	checkParquetCopy(t, []Record{r}, data)
}

// TestPreloadRoundTrip: what each side's preloading process imported survives both formats,
// its sides in name order; a measurement without preload has none.
func TestPreloadRoundTrip(t *testing.T) {
	m := measurement("//benchmarks:b", "//commits:c", "improved")
	if r := recordOf(t, &m); r.Preload != nil {
		t.Errorf("a measurement without preload: %+v", r.Preload)
	}
	m.Preload = &artifact.Preload{ScriptImports: true, Sides: map[artifact.Side]artifact.PreloadedSide{
		artifact.Head: {Imported: []string{"numpy"}, Skipped: []string{"cupy"}, Seconds: 0.25, Threads: 1, CUDAAtImport: "torch"},
		artifact.Base: {Imported: []string{"numpy", "scipy"}, Seconds: 0.5},
	}}
	r := recordOf(t, &m)
	want := &Preload{ScriptImports: true, Sides: []PreloadSide{
		{Side: "base", Imported: []string{"numpy", "scipy"}, Seconds: 0.5},
		{Side: "head", Imported: []string{"numpy"}, Skipped: []string{"cupy"}, Seconds: 0.25, Threads: 1, CUDAAtImport: str("torch")},
	}}
	if !reflect.DeepEqual(r.Preload, want) {
		t.Errorf("preload %+v, want %+v", r.Preload, want)
	}
	data, err := encodeJSONL([]Record{r})
	if err != nil {
		t.Fatal(err)
	}
	checkParquetCopy(t, []Record{r}, data)
}
