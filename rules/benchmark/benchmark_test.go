package benchmark

import (
	"fmt"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/benchmark/stats"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
	"github.com/isobench/isobench/rules/ruletest"
)

// loopTest is a CPU benchmark: a pure-Python loop of N iterations, timed in CPU seconds (best
// of ten, as timeit does), so that other work on a small shared machine disturbs it little.
// The commit's own work.py sets N.
const loopTest = `import json, time
from work import N

def work(n):
    x = 0
    for i in range(n):
        x = (x + i) & 0xFFFF  # small ints only: every iteration costs the same
    return x

best = None
for _ in range(10):
    t = time.process_time()
    work(N)
    d = time.process_time() - t
    best = d if best is None or d < best else best
print("some log line")
print(json.dumps({"metric": "loop", "value": best, "unit": "s"}))
`

// repoWithSpeedup makes a repository whose head runs the loop half as many iterations as its
// base: a speedup of 2 by construction. (A smaller factor is found too on a quiet machine; a
// test must also pass on a busy two-core one, where samples now and then take twice as long.)
func repoWithSpeedup(t *testing.T) (dir, base, head string) {
	r := gittest.New(t)
	base = r.Commit("base", map[string]string{"bench.py": loopTest, "work.py": "N = 100000\n"})
	head = r.Commit("loop less", map[string]string{"work.py": "N = 50000\n"})
	return r.Dir, base, head
}

func TestMeasureKnownSpeedupAndAA(t *testing.T) {
	repo, _, head := repoWithSpeedup(t)
	aa := strings.Replace(loopTest, "from work import N", "N = 100000", 1)
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", repo, head),
		"benchmarks/BUILD.hcl": `
# The interval is asked at 99.9%: a 95% interval misses the true value one time in twenty
# by design, which would make this test fail as often.
benchmark "faster" {
  commit  = "//commits:c"
  command = "python bench.py"
  samples = 8
  verdict {
    confidence = 0.999
  }
}
# Fresh Python processes differ from one another by about 4% (memory layout), and more on a
# busy machine: the band of "unchanged" is widened so that an A/A pair of eight samples can
# show it. How the default band judges A/A pairs is what scripts/bench-stats measures.
benchmark "aa" {
  commit  = "//commits:c"
  script  = ` + ruletest.Quote(aa) + `
  samples = 8
  verdict {
    min_effect = 0.25
  }
}
`,
	})
	w.jobs = 1 // two CPU measurements side by side on a two-core machine disturb each other
	b := w.build(nil)

	o, rec, log := b.measure(t, "faster")
	if o.Outcome.Status != engine.StatusOK {
		t.Fatalf("faster: %s %s: %s\n%s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message, log)
	}
	st := rec.Stats
	t.Logf("faster: speedup %.3f [%.3f, %.3f], p %.2g: %s", *st.Speedup, *st.CILow, *st.CIHigh, *st.PValue, st.Reason)
	if st.Verdict != stats.Improved {
		t.Errorf("faster: verdict %s, want improved: %s", st.Verdict, st.Reason)
	}
	if !(*st.CILow <= 2 && 2 <= *st.CIHigh) {
		t.Errorf("faster: interval [%.3f, %.3f] does not cover the true speedup 2", *st.CILow, *st.CIHigh)
	}
	if len(rec.BaseValues) != 8 || len(rec.HeadValues) != 8 || len(rec.Samples) != 18 {
		t.Errorf("faster: %d base and %d head values, %d samples; want 8, 8, 18", len(rec.BaseValues), len(rec.HeadValues), len(rec.Samples))
	}
	var order []string
	for _, s := range rec.Samples {
		order = append(order, string(s.Side[0]))
		if s.Value == nil || s.ExitCode != 0 || s.Seconds <= 0 {
			t.Errorf("faster: sample %+v", s)
		}
	}
	if got := strings.Join(order, ""); got != "bhhbbhhbbhhbbhhbbh" {
		t.Errorf("faster: run order %s, want the balanced bhhb...", got)
	}
	if rec.Metric != "loop" || rec.Unit != "s" || rec.Direction != "lower" || rec.Test != string(TestCommand) ||
		rec.Command != "python bench.py" || rec.HeadSHA != head || rec.Hardware.Class == "" || rec.Hardware.CPUModel == "" {
		t.Errorf("faster: record %+v", rec)
	}
	if !strings.Contains(log, "some log line") || !strings.Contains(log, "verdict: improved") {
		t.Errorf("faster: log lacks the test's output or the verdict:\n%s", log)
	}

	o, rec, log = b.measure(t, "aa")
	if o.Outcome.Status != engine.StatusOK {
		t.Fatalf("aa: %s %s: %s\n%s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message, log)
	}
	st = rec.Stats
	t.Logf("aa: base %.4g head %.4g", rec.BaseValues, rec.HeadValues)
	t.Logf("aa: speedup %.3f [%.3f, %.3f], p %.2g: %s", *st.Speedup, *st.CILow, *st.CIHigh, *st.PValue, st.Reason)
	// An A/A pair is never improved or regressed. It is unchanged when its samples are as
	// steady as a machine running little else makes them; when other test suites share the
	// two cores, they may wander too much to rule out even a 25% change, and then noisy is
	// the right answer.
	steady := within(rec.BaseValues, *st.BaseMedian, 0.1) && within(rec.HeadValues, *st.HeadMedian, 0.1)
	switch {
	case st.Verdict == stats.Improved || st.Verdict == stats.Regressed:
		t.Errorf("aa: verdict %s: %s", st.Verdict, st.Reason)
	case steady && st.Verdict != stats.Unchanged:
		t.Errorf("aa: verdict %s with every sample within 10%% of its median, want unchanged: %s", st.Verdict, st.Reason)
	case !steady:
		t.Logf("aa: samples too unsteady on this machine now to require unchanged (verdict %s)", st.Verdict)
	}
	if rec.Test != string(TestScript) || rec.Script != aa {
		t.Errorf("aa: test %q, script recorded %v", rec.Test, rec.Script == aa)
	}

	// A second build replays both from the cache: measurements are recorded, not redone.
	again := w.build(nil)
	for _, name := range []string{"faster", "aa"} {
		if o, _, _ := again.measure(t, name); !o.Outcome.Cached {
			t.Errorf("%s ran again in an unchanged workspace", name)
		}
	}
}

// within reports whether every value lies within frac of center.
func within(xs []float64, center, frac float64) bool {
	for _, x := range xs {
		if x < center*(1-frac) || x > center*(1+frac) {
			return false
		}
	}
	return true
}
