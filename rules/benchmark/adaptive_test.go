package benchmark

import (
	"fmt"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/benchmark/stats"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
)

// valuesTest times the loop five times in one process and reports every time as one metric
// and the loop's rate as another, higher-is-better one.
const valuesTest = `import json, time
from work import N

def work(n):
    x = 0
    for i in range(n):
        x = (x + i) & 0xFFFF
    return x

times = []
for _ in range(5):
    t = time.process_time()
    work(N)
    times.append(time.process_time() - t)
print(json.dumps({"metric": "loop", "values": times[:3], "unit": "s"}))
print("a log line between")
print(json.dumps({"metric": "loop", "values": times[3:], "unit": "s"}))
print(json.dumps({"metric": "rate", "value": 1 / min(times), "unit": "1/s"}))
`

// TestAdaptiveManyValuesAndMetrics: a 2x change reported as several values and two metrics
// per run is decided at the minimum of adaptive sampling, every metric with its own
// direction and verdict, and every value kept grouped by run.
func TestAdaptiveManyValuesAndMetrics(t *testing.T) {
	r := gittest.New(t)
	r.Commit("base", map[string]string{"bench.py": valuesTest, "work.py": "N = 200000\n"})
	head := r.Commit("loop less", map[string]string{"work.py": "N = 100000\n"})
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
		"benchmarks/BUILD.hcl": `
benchmark "halved" {
  commit     = "//commits:c"
  command    = "python bench.py"
  samples    = { min = 3, max = 12 }
  warmup     = 0
  metric     = "loop"
  directions = { rate = "higher" }
}
`,
	})
	w.jobs = 1
	o, rec, log := w.build(nil).measure(t, "halved")
	if o.Outcome.Status != engine.StatusOK {
		t.Fatalf("%s %s: %s\n%s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message, log)
	}
	s := rec.Sampling
	// Settled at the first look after 3 runs a side on a quiet machine; a run slowed by a
	// neighbour on a busy one can cost a few more rounds.
	if s == nil || s.Mode != "adaptive" || s.BaseRuns != s.HeadRuns || s.BaseRuns < 3 || s.BaseRuns > 9 || s.Stopped != stats.StopSettled {
		t.Fatalf("sampling %+v, want adaptive, settled after 3 to 9 runs a side\n%s", s, log)
	}
	if rec.Stats.Verdict != stats.Improved || rec.Metric != "loop" || rec.Unit != "s" {
		t.Errorf("primary %s in %q: %s (%s)", rec.Metric, rec.Unit, rec.Stats.Verdict, rec.Stats.Reason)
	}
	// Sampling stops on the primary metric: the other one is judged from the same few runs,
	// and its single value per run may be too noisy on a busy machine to call (noisy), but
	// with higher = better its speedup is above 1 and it is never judged worse or unchanged.
	if len(rec.Metrics) != 2 || !rec.Metrics[0].Primary || rec.Metrics[1].Name != "rate" || rec.Metrics[1].Direction != "higher" ||
		rec.Metrics[1].Unit != "1/s" {
		t.Fatalf("metrics %+v", rec.Metrics)
	}
	if rate := rec.Metrics[1].Stats; rate.Speedup == nil || *rate.Speedup <= 1 ||
		(rate.Verdict != stats.Improved && rate.Verdict != stats.Noisy) {
		t.Fatalf("rate: %s (%s), want improved (or noisy on a busy machine) with a speedup above 1", rate.Verdict, rate.Reason)
	}
	if got := rec.Metrics[0].BaseRuns; len(got) != s.BaseRuns || len(got[0]) != 5 {
		t.Errorf("loop's base runs %v, want %d runs of 5 values", got, s.BaseRuns)
	}
	for _, x := range rec.Samples {
		if len(x.Values["loop"]) != 5 || len(x.Values["rate"]) != 1 || x.CPU == nil || x.CPU.CPUs < 1 {
			t.Errorf("sample %+v", x)
		}
	}
	if !strings.Contains(log, fmt.Sprintf("improved after %d runs a side; sampling stops.", s.BaseRuns)) {
		t.Errorf("the log does not say why sampling stopped:\n%s", log)
	}
}

// TestAdaptiveNoisyAtMax: runs too noisy to decide (each a log-normal draw with a sigma of
// 100%) take max runs a side, and the record says sampling stopped there, not settled.
func TestAdaptiveNoisyAtMax(t *testing.T) {
	r := gittest.New(t)
	r.Commit("noise", map[string]string{"bench.py": "import random\nprint('Execution time: %.6fs' % random.lognormvariate(0, 1))\n"})
	head := r.Commit("readme", map[string]string{"README": "A/A\n"})
	// An A/A comparison is called a change by chance in at most 1% of builds (the sampling's
	// false-positive budget), and then stops before max: such a build is taken again, in a
	// workspace and cache of its own, so that the test fails by chance once in 10,000.
	for attempt := 1; ; attempt++ {
		w := newWorkspace(t, map[string]string{
			"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
			"benchmarks/BUILD.hcl": `
benchmark "noise" {
  commit  = "//commits:c"
  command = "python bench.py"
  samples = { min = 3, max = 4 }
  warmup  = 0
}
`,
		})
		w.jobs = 1
		o, rec, log := w.build(nil).measure(t, "noise")
		if o.Outcome.Status != engine.StatusOK {
			t.Fatalf("%s %s: %s\n%s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message, log)
		}
		if v := rec.Stats.Verdict; attempt == 1 && (v == stats.Improved || v == stats.Regressed) {
			t.Logf("the A/A comparison was called %s by chance; building again", v)
			continue
		}
		if s := rec.Sampling; s == nil || s.BaseRuns != 4 || s.Looks != 2 || s.Stopped != stats.StopMax || rec.Stats.Verdict != stats.Noisy {
			t.Fatalf("sampling %+v, verdict %s; want noisy after 2 looks, stopped at max_runs (4 a side)\n%s", s, rec.Stats.Verdict, log)
		}
		return
	}
}
