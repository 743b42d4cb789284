package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// commitWorkspace makes a Git repository of three commits and a workspace that declares them.
func commitWorkspace(t *testing.T) (ws string, shas []string) {
	root := t.TempDir()
	shas = gitRepo(t, filepath.Join(root, "repo"), []map[string]string{
		{"lib.py": "def f():\n    return sum([i for i in range(10)])\n"},
		{"lib.py": "def f():\n    return sum(range(10))\n"},
		{"README.md": "# lib\n"},
	}, []string{"Initial", "Sum a range directly", "Add a README"})
	ws = filepath.Join(root, "ws")
	writeFiles(t, ws, map[string]string{
		"isobench.hcl":      "workspace {\n  name = \"t\"\n}\n",
		"repos/BUILD.hcl":   "repo \"lib\" {\n  url = \"../../repo\"\n}\n",
		"commits/BUILD.hcl": "commit \"sum\" {\n  repo = \"//repos:lib\"\n  head = \"" + shas[1] + "\"\n}\n\ncommit \"readme\" {\n  repo = \"//repos:lib\"\n  head = \"main\"\n}\n",
	})
	return ws, shas
}

type buildSummary struct {
	Executed, Cached, Failed, Skipped, Blocked int
	ByKind                                     map[string]struct{ Executed, Cached int } `json:"by_kind"`
}

func parseSummary(t *testing.T, r result) buildSummary {
	t.Helper()
	var s buildSummary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("build --json printed no JSON summary: %v\n%s", err, r.stdout)
	}
	return s
}

func TestCLIBuildStatusWhy(t *testing.T) {
	ws, shas := commitWorkspace(t)
	c := newCLI(t, filepath.Join(ws, "commits")) // any subdirectory finds the workspace

	s := parseSummary(t, c.must(0, "build", "//commits:all", "--json"))
	if s.ByKind["commit"].Executed != 2 || s.Failed != 0 {
		t.Fatalf("first build: %+v, want both commits executed", s)
	}
	s = parseSummary(t, c.must(0, "build", ":all", "--json")) // relative pattern
	if s.Executed != 0 || s.ByKind["commit"].Cached != 2 {
		t.Fatalf("second build executed something: %+v", s)
	}
	if r := c.must(0, "status", "--detailed-exitcode"); !strings.Contains(r.stdout, "cached   //commits:sum") {
		t.Fatalf("status of an up-to-date workspace:\n%s", r.stdout)
	}

	// Point //commits:sum at another commit: status and why name the changed input.
	os.WriteFile(filepath.Join(ws, "commits", "BUILD.hcl"), []byte(strings.Replace(
		mustRead(t, filepath.Join(ws, "commits", "BUILD.hcl")), shas[1], shas[2], 1)), 0o644)
	r := c.must(2, "status", "--detailed-exitcode", "//commits:all")
	if !strings.Contains(r.stdout, "stale    //commits:sum") || !strings.Contains(r.stdout, "head changed") {
		t.Fatalf("status after changing head:\n%s", r.stdout)
	}
	r = c.must(0, "why", "//commits:sum")
	if !strings.Contains(r.stdout, "was: "+shas[1]) || !strings.Contains(r.stdout, "now: "+shas[2]) {
		t.Fatalf("why does not show the old and new head:\n%s", r.stdout)
	}
	s = parseSummary(t, c.must(0, "build", "//commits:all", "--json"))
	if s.ByKind["commit"].Executed != 1 {
		t.Fatalf("after the change: %+v, want exactly one commit executed", s)
	}
}

func TestCLIDiagnostics(t *testing.T) {
	ws, _ := commitWorkspace(t)
	c := newCLI(t, ws)
	writeFiles(t, ws, map[string]string{"commits/BUILD.hcl": "commit \"x\" {\n  repo = \"//repos:lb\"\n  head = \"main\"\n}\n"})
	r := c.must(2, "validate")
	if !strings.Contains(r.stderr, "commits/BUILD.hcl:2:10") || !strings.Contains(r.stderr, "Did you mean //repos:lib?") {
		t.Fatalf("an unknown label should point at file:line:col with a suggestion:\n%s", r.stderr)
	}
	writeFiles(t, ws, map[string]string{"commits/BUILD.hcl": "commit \"x\" {\n  repo = \"//repos:lib\"\n  head = \n}\n"})
	if r := c.must(2, "build"); !strings.Contains(r.stderr, "commits/BUILD.hcl:3:") {
		t.Fatalf("a syntax error should point at its line:\n%s", r.stderr)
	}
	writeFiles(t, ws, map[string]string{"commits/BUILD.hcl": "commit \"x\" {\n  repo = \"//repos:lib\"\n  head = \"main\"\n}\n"})
	if r := c.must(2, "build", "//commits:y"); !strings.Contains(r.stderr, "did you mean //commits:x?") {
		t.Fatalf("an unknown target should suggest the nearest one:\n%s", r.stderr)
	}
	if r := c.must(2, "build", "//nope:x"); !strings.Contains(r.stderr, "isobench: error:") {
		t.Fatalf("an unknown target is a usage error:\n%s", r.stderr)
	}
	if r := c.must(2, "frobnicate"); !strings.Contains(r.stderr, "unknown command") {
		t.Fatalf("unknown command:\n%s", r.stderr)
	}
}

// sleepWorkspace has benchmarks whose test sleeps, run with the machine's python3, so a build
// can be interrupted while they run.
func sleepWorkspace(t *testing.T, n int, seconds string) string {
	ws, shas := commitWorkspace(t)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("benchmark \"s" + string(rune('a'+i)) + "\" {\n  commit  = \"//commits:sum\"\n  command = \"python3 -c 'import time; time.sleep(" + seconds + "); print(\\\"Execution time: 0.1s\\\")'\"\n  samples = 1\n  warmup  = 0\n}\n")
	}
	_ = shas
	writeFiles(t, ws, map[string]string{"benchmarks/BUILD.hcl": b.String()})
	return ws
}

func TestCLIInterruptAndSecondProcess(t *testing.T) {
	ws := sleepWorkspace(t, 1, "30")
	c := newCLI(t, ws)
	c.must(0, "build", "//commits:all")
	build := c.command("build", "//benchmarks:all", "-j", "1")
	if err := build.Start(); err != nil {
		t.Fatal(err)
	}
	defer build.Process.Kill()
	// Wait until the test is running.
	deadline := time.Now().Add(60 * time.Second)
	for !pgrep(t, "time.sleep(30)") {
		if time.Now().After(deadline) {
			t.Fatal("the benchmark never started")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A second process gets a clear message naming the holder, not a Badger error.
	r := c.must(1, "build", "//commits:all")
	if !strings.Contains(r.stderr, "in use by another isobench process") || !strings.Contains(r.stderr, "isobench build //benchmarks:all") {
		t.Fatalf("second process:\n%s", r.stderr)
	}
	interrupt(t, build)
	time.Sleep(200 * time.Millisecond)
	if pgrep(t, "time.sleep(30)") {
		t.Fatal("the test process survived the interrupted build")
	}
	// The finished commits are kept; the interrupted measurement was not cached.
	r = c.must(0, "status", "//...")
	if !strings.Contains(r.stdout, "cached   //commits:sum") || !strings.Contains(r.stdout, "stale    //benchmarks:sa") {
		t.Fatalf("status after the interrupt:\n%s", r.stdout)
	}
}

func TestCLIKilledBuildResumes(t *testing.T) {
	ws := sleepWorkspace(t, 4, "1")
	c := newCLI(t, ws)
	build := c.command("build", "//benchmarks:all", "-j", "1", "--events", filepath.Join(ws, "events.jsonl"))
	if err := build.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it with SIGKILL once two measurements have finished.
	deadline := time.Now().Add(90 * time.Second)
	for countFinished(t, filepath.Join(ws, "events.jsonl"), "measure") < 2 {
		if time.Now().After(deadline) {
			build.Process.Kill()
			t.Fatal("the build never finished two measurements")
		}
		time.Sleep(50 * time.Millisecond)
	}
	build.Process.Signal(syscall.SIGKILL)
	build.Wait()
	s := parseSummary(t, c.must(0, "build", "//benchmarks:all", "--json"))
	if s.ByKind["measure"].Executed > 2 || s.ByKind["measure"].Cached < 2 {
		t.Fatalf("after kill -9: %+v; the finished measurements should be replayed", s)
	}
}

func countFinished(t *testing.T, path, kind string) int {
	data, _ := os.ReadFile(path)
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		var e struct{ Type, Kind, Status string }
		if json.Unmarshal([]byte(line), &e) == nil && e.Type == "finish" && e.Kind == kind && e.Status == "ok" {
			n++
		}
	}
	return n
}

func pgrep(t *testing.T, pattern string) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(strings.ReplaceAll(string(cmdline), "\x00", " "), pattern) && !strings.Contains(string(cmdline), "pgrep") {
			return true
		}
	}
	return false
}

func mustRead(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestCLIChdirBeforeCommand(t *testing.T) {
	ws, _ := commitWorkspace(t)
	c := newCLI(t, t.TempDir()) // outside the workspace
	if r := c.must(0, "-C", ws, "validate"); !strings.Contains(r.stdout, ": ok") {
		t.Fatalf("isobench -C DIR validate:\n%s", r.stdout)
	}
	c.must(0, "validate", "-C", ws)
	c.must(2, "validate")
}

func TestCLIQueryAndGraph(t *testing.T) {
	ws, _ := commitWorkspace(t)
	c := newCLI(t, ws)
	r := c.must(0, "query", "//commits:all")
	if !strings.Contains(r.stdout, "commit       //commits:sum") || strings.Contains(r.stdout, "//repos:lib") {
		t.Fatalf("query //commits:all:\n%s", r.stdout)
	}
	r = c.must(0, "graph", "//commits:sum")
	if !strings.Contains(r.stdout, `"repo //repos:lib" -> "commit //commits:sum";`) {
		t.Fatalf("graph does not show the commit's dependency on its repo:\n%s", r.stdout)
	}
}
