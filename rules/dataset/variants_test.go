package dataset

import (
	"strings"
	"testing"

	"github.com/isobench/isobench/rules/artifact"
)

// TestVariantsInRecordAndReport: a measured variant and one that did not apply both reach
// the record and the report's card, the failed one with its class.
func TestVariantsInRecordAndReport(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	m := &artifact.Measurement{Variants: []artifact.Variant{
		{Name: "claude", PatchSHA256: "ab", Files: []string{"pkg/work.py"}, Method: "overlay", Values: []float64{1, 1.1},
			Median: f(1.05), Verdict: "improved", AgainstHuman: artifact.BetterThanHuman,
			OverBase: &artifact.Stats{Speedup: f(4), CILow: f(3.5), CIHigh: f(4.4)},
			OverHead: &artifact.Stats{Speedup: f(2), CILow: f(1.8), CIHigh: f(2.2), Reason: "twice as fast as head"}},
		{Name: "codex", PatchSHA256: "cd", Files: []string{"pkg/work.py"}, Values: []float64{},
			FailureClass: "patch_failed", Message: "git apply says: error: patch failed: pkg/work.py:1"},
	}}
	r := Record{Benchmark: "//benchmarks:loop", Status: "ok"}
	setVariants(&r, m, nil)
	if len(r.Variants) != 2 || r.Variants[0].Status != "ok" || *r.Variants[0].SpeedupOverHead != 2 ||
		*r.Variants[0].AgainstHuman != artifact.BetterThanHuman || r.Variants[0].Samples != 2 {
		t.Fatalf("claude: %+v", r.Variants[0])
	}
	if v := r.Variants[1]; v.Status != "failed" || *v.FailureClass != "patch_failed" || v.SpeedupOverBase != nil {
		t.Fatalf("codex: %+v", v)
	}
	var html strings.Builder
	if err := renderReport(&html, "variants", []Record{r}, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"better_than_human 2.000× [1.800, 2.200]", "improved 4.000×", "<code>patch_failed</code>: git apply says"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
