package benchmark

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
	"github.com/isobench/isobench/rules/ruletest"
)

// TestGeneratedTestInEnvironments runs a generated test in a real venv per side, with the
// variables the environment declares, and checks the key reads the generator's output.
func TestGeneratedTestInEnvironments(t *testing.T) {
	r := gittest.New(t)
	r.Commit("a", map[string]string{"x": "a\n"})
	head := r.Commit("b", map[string]string{"x": "b\n"})
	script := `import os, sys
assert sys.prefix == os.environ["VIRTUAL_ENV"], (sys.prefix, os.environ.get("VIRTUAL_ENV"))
assert os.environ["ISOBENCH_COMMIT"] and os.environ["CUDA_VISIBLE_DEVICES"] == ""
print("Execution time: %ss" % os.environ["BENCH_VALUE"])
`
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl":    fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
		"generators/BUILD.hcl": "generator \"g\" {\n  script = " + ruletest.Quote(script) + "\n}\n",
		"envs/BUILD.hcl":       "environment \"venv\" {\n  env = { BENCH_VALUE = \"0.25\" }\n}\n",
		"benchmarks/BUILD.hcl": `
benchmark "gen" {
  commit      = "//commits:c"
  generator   = "//generators:g"
  environment = "//envs:venv"
  samples     = 2
  warmup      = 0
}
`,
	})
	b := w.build(nil)
	o, rec, log := b.measure(t, "gen")
	if o.Outcome.Status != engine.StatusOK {
		t.Fatalf("%s %s: %s\n%s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message, log)
	}
	if rec.Test != string(TestGenerated) || rec.Script != script || rec.BaseLock != "sha256:base" || rec.HeadLock != "sha256:head" ||
		len(rec.BaseValues) != 2 || rec.BaseValues[0] != 0.25 {
		t.Errorf("record %+v", rec)
	}
	// The key names the generated script by its output digest and both environments by theirs.
	desc := o.Desc
	for _, want := range []string{`script [0-9a-f]{64}`, `environment\.base [0-9a-f]{64}`, `environment\.head [0-9a-f]{64}`, `hardware\.cpu_model \S.*`} {
		if !regexp.MustCompile(`(?m)^` + want + `$`).MatchString(desc) {
			t.Errorf("the key lacks %q:\n%s", want, desc)
		}
	}
	if strings.Contains(desc, "\npython ") {
		t.Errorf("with environments, the machine's python must not enter the key:\n%s", desc)
	}
}

// TestKeyFollowsSettings: a setting that changes what is measured makes the measurement
// stale; the commit stays cached.
func TestKeyFollowsSettings(t *testing.T) {
	r := gittest.New(t)
	r.Commit("a", map[string]string{"x": "a\n"})
	head := r.Commit("b", map[string]string{"x": "b\n"})
	bench := func(samples int, command string) string {
		return fmt.Sprintf("benchmark \"k\" {\n  commit = \"//commits:c\"\n  command = %q\n  samples = %d\n  warmup = 0\n}\n", command, samples)
	}
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl":    fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
		"benchmarks/BUILD.hcl": bench(1, "echo 'Execution time: 1s'"),
	})
	first, _, _ := w.build(nil).measure(t, "k")
	if first.Outcome.Status != engine.StatusOK {
		t.Fatalf("%s: %s", first.Outcome.Class, first.Outcome.Message)
	}
	if !strings.Contains(first.Desc, "\npython ") || !strings.Contains(first.Desc, "\ncommand.base echo") {
		t.Errorf("the key of a benchmark without environment lacks the python or the command:\n%s", first.Desc)
	}
	for i, files := range []string{bench(2, "echo 'Execution time: 1s'"), bench(2, "echo 'Execution time: 2s'")} {
		w.Write(map[string]string{"benchmarks/BUILD.hcl": files})
		b := w.build(nil)
		o, _, _ := b.measure(t, "k")
		if o.Outcome.Cached || o.Key == first.Key {
			t.Errorf("change %d: the measurement was replayed", i)
		}
		if c := b.ByID("commit //commits:c"); !c.Outcome.Cached {
			t.Errorf("change %d: the commit ran again", i)
		}
	}
}

// TestCommandTemplates: a command may name the commit; each side gets its own.
func TestCommandTemplates(t *testing.T) {
	r := gittest.New(t)
	base := r.Commit("a", map[string]string{"x": "a\n"})
	head := r.Commit("b", map[string]string{"x": "b\n"})
	outDir := t.TempDir()
	engine.ShareWithSandboxes(t, outDir) // the commands write their SHAs from their sandboxes
	out := filepath.Join(outDir, "shas")
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
		"benchmarks/BUILD.hcl": fmt.Sprintf(`benchmark "t" {
  commit  = "//commits:c"
  command = "echo ${commit.sha} $(cat x) >> %s; echo 'Execution time: 1s'"
  samples = 1
  warmup  = 0
}
`, out),
	})
	o, rec, _ := w.build(nil).measure(t, "t")
	if o.Outcome.Status != engine.StatusOK {
		t.Fatalf("%s: %s", o.Outcome.Class, o.Outcome.Message)
	}
	data, _ := os.ReadFile(out)
	// Each side's command names its own commit and runs in that commit's files.
	if got, want := string(data), base+" a\n"+head+" b\n"; got != want {
		t.Errorf("the commands wrote %q, want %q", got, want)
	}
	if !strings.HasPrefix(rec.Command, "echo "+head) {
		t.Errorf("recorded command %q", rec.Command)
	}
}

func TestCheck(t *testing.T) {
	cases := map[string]string{
		`script = "x"
  command = "y"`: "sets both script and command",
		``: "needs a test",
		`script = "x"
  samples = 0`: "samples must be between 1 and 200",
		`script = "x"
  metric_regex = "(("`: "metric_regex is not a valid regular expression",
		`script = "x"
  direction = "up"`: `"up" is not one of "lower", "higher"`,
		`script = "x"
  requires {
    compute_capability = "nine"
  }`: "not of the form MAJOR.MINOR",
		`script = "x"
  verdict {
    confidence = 95
  }`: "confidence must be between 0 and 1",
		// The schema's constraints.
		`script = "x"
  samples = 1.5`: "samples must be a whole number, but it is 1.5",
		`script = "x"
  timeout = "0s"`: `timeout must be a positive duration such as "10m", but it is "0s"`,
		`script = "x"
  requires {
    gpus = -1
  }`: "gpus must be at least 0, but it is -1",
		`script = "x"
  verdict {
    min_effect = -0.1
  }`: "min_effect must be at least 0, but it is -0.1",
	}
	for body, want := range cases {
		w := ruletest.New(t, map[string]string{
			"c/BUILD.hcl": "commit \"c\" {\n  repo = \"/r\"\n  head = \"h\"\n}\nbenchmark \"b\" {\n  commit = \":c\"\n  " + body + "\n}\n",
		}, Kind{}, ruletest.Commit{})
		diags := w.Diagnostics()
		if !diags.HasErrors() || !strings.Contains(diags.Error(), want) {
			t.Errorf("%s\n=> %v, want an error containing %q", body, diags, want)
		}
	}
}

// TestRecordIsStrictJSON: a comparison whose values are all zero has no speedup; the record
// says null rather than NaN.
func TestRecordIsStrictJSON(t *testing.T) {
	if num(0.0/zero()) != nil || num(1/zero()) != nil || *num(1.5) != 1.5 {
		t.Error("num must turn NaN and infinities into null")
	}
	var _ = artifact.Measurement{}
}

func zero() float64 { return 0 }
