package dataset

import (
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/ruletest"
)

// TestCheck loads datasets with mistakes and expects a diagnostic that says what is wrong,
// pointing at the attribute.
func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		name, block, want string
	}{
		{"unknown format", `formats = ["csv"]`, `"csv" is not a format isobench writes`},
		{"duplicate format", `formats = ["jsonl", "jsonl"]`, `listed twice`},
		{"no format", `formats = []`, `at least one format`},
		{"bad include", `include = ["Improved!"]`, `"Improved!" is not an outcome`},
		{"empty include", `include = []`, `keeps no record`},
		{"empty output", `output = ""`, `output directory is empty`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := ruletest.New(t, map[string]string{
				"dataset/BUILD.hcl": "dataset \"d\" {\n  benchmarks = [\"//benchmarks:all\"]\n  " + tt.block + "\n}\n",
			}, Kind{})
			diags := w.Diagnostics()
			if !diags.HasErrors() {
				t.Fatal("no diagnostic")
			}
			d := diags[0]
			if !strings.Contains(d.Detail, tt.want) {
				t.Errorf("diagnostic %q, want it to say %q", d.Detail, tt.want)
			}
			if d.Subject == nil || d.Subject.Filename != "dataset/BUILD.hcl" || d.Subject.Start.Line != 3 {
				t.Errorf("diagnostic points at %v, want dataset/BUILD.hcl line 3", d.Subject)
			}
		})
	}
}

// TestPlanNeedsBenchmarks: patterns that select only other kinds of targets are an error
// at planning, not an empty dataset.
func TestPlanNeedsBenchmarks(t *testing.T) {
	ws, _ := workspace(t, nil, "dataset \"d\" {\n  benchmarks = [\"//commits:all\"]\n}\n").Load()
	_, err := engine.NewPlanner(ws).Plan(engine.Label{Pkg: "dataset", Name: "d"})
	if err == nil || !strings.Contains(err.Error(), "select no benchmark target") {
		t.Errorf("planning a dataset of commits gave %v, want an error saying it selects no benchmark", err)
	}
	ws, _ = workspace(t, nil, "dataset \"d\" {\n  benchmarks = [\"//benchmarks:nope\"]\n}\n").Load()
	_, err = engine.NewPlanner(ws).Plan(engine.Label{Pkg: "dataset", Name: "d"})
	if err == nil || !strings.Contains(err.Error(), "no target //benchmarks:nope") {
		t.Errorf("planning a dataset of a missing benchmark gave %v", err)
	}
}
