package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCLIResultTableAndLog builds two benchmarks, one that measures and one whose test raises,
// and checks what a researcher sees: the result table at the end of the build (and in --json),
// and the failure's full log through `isobench log`, the same after the result is replayed.
func TestCLIResultTableAndLog(t *testing.T) {
	ws, _ := commitWorkspace(t)
	writeFiles(t, ws, map[string]string{"benchmarks/BUILD.hcl": `
benchmark "fast" {
  commit  = "//commits:sum"
  command = "python3 -c 'print(\"Execution time: 0.01s\")'"
  samples = 2
  warmup  = 1
}

benchmark "boom" {
  commit  = "//commits:sum"
  command = "python3 -c 'raise RuntimeError(\"boom: the whole traceback\")'"
  samples = 2
  warmup  = 0
}
`})
	c := newCLI(t, ws)
	r := c.must(1, "build", "//benchmarks:all", "--keep-going")
	for _, want := range []string{"benchmark", "verdict", "speedup", "//benchmarks:fast", "2+2",
		"//benchmarks:boom", "failed", "base_failed", "1 failed", "isobench log LABEL"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the build's result table lacks %q:\n%s", want, r.stdout)
		}
	}

	r = c.must(1, "build", "//benchmarks:all", "--keep-going", "--json")
	var s struct {
		Results []struct {
			Target, Status, Verdict string
			Class                   string `json:"failure_class"`
			BaseRuns                int    `json:"base_runs"`
			HeadRuns                int    `json:"head_runs"`
			Cached                  bool
			Speedup                 *float64
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("build --json: %v\n%s", err, r.stdout)
	}
	if len(s.Results) != 2 {
		t.Fatalf("build --json has %d results, want 2:\n%s", len(s.Results), r.stdout)
	}
	boom, fast := s.Results[0], s.Results[1]
	if boom.Target != "//benchmarks:boom" || boom.Status != "failed" || boom.Class != "base_failed" || !boom.Cached {
		t.Errorf("the failed benchmark's row: %+v", boom)
	}
	if fast.Status != "ok" || fast.Verdict == "" || fast.Speedup == nil || fast.BaseRuns != 2 || fast.HeadRuns != 2 {
		t.Errorf("the measured benchmark's row: %+v", fast)
	}

	// The replayed failure's log still holds the traceback.
	r = c.must(0, "log", "//benchmarks:boom")
	if !strings.Contains(r.stdout, "Traceback") || !strings.Contains(r.stdout, "RuntimeError: boom: the whole traceback") {
		t.Errorf("isobench log does not print the failure's traceback:\n%s", r.stdout)
	}
	r = c.must(0, "log", "//benchmarks:fast", "--side", "head", "--run", "2")
	if !strings.Contains(r.stdout, "head sample 2") || strings.Contains(r.stdout, "base sample") || strings.Contains(r.stdout, "head sample 3") {
		t.Errorf("log --side head --run 2 shows other runs:\n%s", r.stdout)
	}
	r = c.must(0, "log", "//benchmarks:fast", "--action", "commit", "--list")
	if !strings.Contains(r.stdout, "commit //commits:sum") || strings.Contains(r.stdout, "measure") {
		t.Errorf("log --action commit --list:\n%s", r.stdout)
	}
	if r := c.must(2, "log", "//benchmarks:fast", "--action", "nothing"); !strings.Contains(r.stderr, "measure //benchmarks:fast") {
		t.Errorf("an --action that matches nothing should list the actions:\n%s", r.stderr)
	}
}
