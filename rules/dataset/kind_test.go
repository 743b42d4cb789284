package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
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
			root := t.TempDir()
			write(t, root, "isobench.hcl", "")
			write(t, root, "dataset/BUILD.hcl", "dataset \"d\" {\n  benchmarks = [\"//benchmarks:all\"]\n  "+tt.block+"\n}\n")
			_, diags := engine.Load(root, engine.LoadOptions{Kinds: []engine.Kind{Kind{}}})
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
	root := t.TempDir()
	ws := workspace(t, root, nil, "dataset \"d\" {\n  benchmarks = [\"//commits:all\"]\n}\n")
	_, err := engine.NewPlanner(ws).Plan(engine.Label{Pkg: "dataset", Name: "d"})
	if err == nil || !strings.Contains(err.Error(), "select no benchmark target") {
		t.Errorf("planning a dataset of commits gave %v, want an error saying it selects no benchmark", err)
	}
	ws = workspace(t, root, nil, "dataset \"d\" {\n  benchmarks = [\"//benchmarks:nope\"]\n}\n")
	_, err = engine.NewPlanner(ws).Plan(engine.Label{Pkg: "dataset", Name: "d"})
	if err == nil || !strings.Contains(err.Error(), "no target //benchmarks:nope") {
		t.Errorf("planning a dataset of a missing benchmark gave %v", err)
	}
}

func write(t *testing.T, root, name, content string) {
	t.Helper()
	path := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
