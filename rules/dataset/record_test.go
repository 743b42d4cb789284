package dataset

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// TestStrictJSON feeds the record builder a measurement full of NaN and infinities, as a
// statistics routine can produce in memory, and checks that every one becomes null in both
// formats.
func TestStrictJSON(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tiny, huge := 5e-324, 1e308 // their relative change overflows to +Inf
	m := measurement("//benchmarks:nan", "//commits:flash", "improved")
	m.BaseValues = []float64{nan, 1, inf}
	m.HeadValues = []float64{math.Inf(-1)}
	m.Stats = artifact.Stats{BaseMedian: &tiny, HeadMedian: &huge, Speedup: &nan, CILow: &inf, CIHigh: &nan, PValue: &nan, Verdict: "noisy"}
	m.Direction = "higher"
	for i := range m.Samples {
		m.Samples[i].Before.PowerW = nan
	}
	src := &source{
		benchmark:   engine.Label{Pkg: "benchmarks", Name: "nan"},
		measured:    &engine.Outcome{Status: engine.StatusOK},
		measurement: &m,
		envs:        map[artifact.Side]*artifact.Environment{},
	}
	rec := buildRecord(src)
	data, err := encodeJSONL([]Record{rec})
	if err != nil {
		t.Fatalf("encoding a record built from NaN inputs failed: %v", err)
	}
	if !json.Valid(data) {
		t.Fatalf("the record is not valid JSON: %s", data)
	}
	for _, token := range []string{"NaN", "Infinity"} {
		if strings.Contains(string(data), token) {
			t.Errorf("the record holds %s: %s", token, data)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"speedup", "ci_low", "ci_high", "p_value", "performance_improvement"} {
		if v, ok := got[field]; !ok || v != nil {
			t.Errorf("%s = %v, want null", field, v)
		}
	}
	if base := got["base_performance"].([]any); len(base) != 3 || base[0] != nil || base[1] != 1.0 || base[2] != nil {
		t.Errorf("base_performance = %v, want [null 1 null]", base)
	}
	if head := got["head_performance"].([]any); len(head) != 1 || head[0] != nil {
		t.Errorf("head_performance = %v, want [null]", head)
	}
	if tel := got["gpu_telemetry"].(map[string]any); tel["power_mean_w"] != 250.0 || tel["power_max_w"] != 300.0 {
		t.Errorf("gpu_telemetry = %v, want the mean and max power of the finite readings", tel)
	}
	// Fields nothing filled in (no commit facts, no generation) are null too, not zero.
	for _, field := range []string{"repo", "commit_subject", "files_changed", "generation_config", "failure_class"} {
		if v, ok := got[field]; !ok || v != nil {
			t.Errorf("%s = %v, want null", field, v)
		}
	}

	checkParquetCopy(t, []Record{rec}, data)
}

// checkParquetCopy checks that records written to Parquet and read back encode to jsonl,
// their JSON Lines encoding.
func checkParquetCopy(t *testing.T, records []Record, jsonl []byte) {
	t.Helper()
	pq, err := encodeParquet(records)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadParquet(pq)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := encodeJSONL(back); !bytes.Equal(again, jsonl) {
		t.Errorf("the Parquet copy differs:\n%s\n%s", again, jsonl)
	}
}

func TestImprovement(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tt := range []struct {
		base, head *float64
		direction  string
		want       *float64
	}{
		{f(10), f(8), "lower", f(20)},
		{f(10), f(12), "lower", f(-20)},
		{f(100), f(150), "higher", f(50)},
		{f(0), f(1), "lower", nil},
		{nil, f(1), "lower", nil},
		{f(1), f(2), "", nil},
	} {
		got := improvement(tt.base, tt.head, tt.direction)
		if (got == nil) != (tt.want == nil) || got != nil && math.Abs(*got-*tt.want) > 1e-9 {
			t.Errorf("improvement(%v, %v, %q) = %v, want %v", tt.base, tt.head, tt.direction, got, tt.want)
		}
	}
}
