package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/isobench/isobench/engine"
)

// Issue 19's end-to-end checks, against the real binary: what a hostile test, a hostile
// BUILD file and a full disk do to a build.

// scratchDirs counts the scratch directories isobench left in tmp.
func scratchDirs(t *testing.T, tmp string) int {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "isobench-action-") || strings.HasPrefix(e.Name(), "isobench-sandbox-") {
			n++
		}
	}
	return n
}

// TestCLIKill9LeavesNothingRunning: kill -9 of isobench during a measurement whose test left
// a child in a session of its own, ignoring SIGTERM, leaves no process of the test alive;
// the next build removes the directories the killed one left.
func TestCLIKill9LeavesNothingRunning(t *testing.T) {
	if iso, why := engine.SandboxIsolation(); iso != engine.IsolationNamespaces {
		// Without a PID namespace a setsid child escapes, as the README says.
		t.Skip(why)
	}
	ws, _ := commitWorkspace(t)
	marker := fmt.Sprintf("kill9-orphan-%d", time.Now().UnixNano())
	script := `import os, signal, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import os, signal, time; os.setsid(); signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)", "` + marker + `"])
time.sleep(600)
`
	writeFiles(t, ws, map[string]string{"benchmarks/BUILD.hcl": "benchmark \"hog\" {\n  commit  = \"//commits:sum\"\n  script  = " +
		fmt.Sprintf("%q", script) + "\n  samples = 1\n  warmup  = 0\n}\n"})
	tmp := t.TempDir()
	c := newCLI(t, ws)
	c.env = append(c.env, "TMPDIR="+tmp)
	build := c.command("build", "//benchmarks:hog")
	if err := build.Start(); err != nil {
		t.Fatal(err)
	}
	defer build.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for !pgrep(t, marker) {
		if time.Now().After(deadline) {
			t.Fatal("the test never started its child")
		}
		time.Sleep(100 * time.Millisecond)
	}
	build.Process.Kill() // SIGKILL
	build.Wait()
	deadline = time.Now().Add(5 * time.Second)
	for pgrep(t, marker) {
		if time.Now().After(deadline) {
			exec.Command("pkill", "-KILL", "-f", marker).Run()
			t.Fatal("the test's setsid child outlived kill -9 of isobench")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := scratchDirs(t, tmp); n == 0 {
		t.Fatal("the killed build left no directory: the sweep below proves nothing")
	}
	c.must(0, "build", "//commits:sum")
	if n := scratchDirs(t, tmp); n != 0 {
		t.Errorf("%d scratch directories remain after the next build", n)
	}
}

// TestCLIHostileHCL: nesting 100,000 deep and a chain of 500,000 terms are diagnostics at
// file:line:col with exit 2, not a stack overflow.
func TestCLIHostileHCL(t *testing.T) {
	ws, _ := commitWorkspace(t)
	c := newCLI(t, ws)
	for _, tc := range []struct{ src, want string }{
		{"locals {\n  x = " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n}\n", "benchmarks/BUILD.hcl:2:134: error: Nested too deeply"},
		{"locals {\n  x = " + strings.Repeat("1+", 499999) + "1\n}\n", "benchmarks/BUILD.hcl:2:2008: error: Expression too long"},
	} {
		writeFiles(t, ws, map[string]string{"benchmarks/BUILD.hcl": tc.src})
		r := c.must(2, "validate")
		if !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "fatal error") || len(r.stderr) > 4096 {
			t.Errorf("want %q in a short message, got %d bytes:\n%.2000s", tc.want, len(r.stderr), r.stderr)
		}
	}
}

// TestCLIDiskFull fills the cache's filesystem (a small tmpfs, so root only): the build
// ends with a clear error, exit 1, keeping what it finished; with room again, the next
// build replays that and does the rest.
func TestCLIDiskFull(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounting a tmpfs needs root; the cache package tests the check itself")
	}
	disk := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=100m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", disk).Run() })
	ws, _ := commitWorkspace(t)
	c := newCLI(t, ws)
	cache := filepath.Join(disk, "cache")
	c.must(0, "build", "--cache-dir", cache, "//commits:sum")
	filler := filepath.Join(disk, "filler")
	if out, err := exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=1M", "count=60").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	r := c.must(1, "build", "--cache-dir", cache, "//commits:all")
	if !strings.Contains(r.stderr, "isobench: error: the cache failed: the cache's disk is full (") ||
		!strings.Contains(r.stderr, "MB free at "+cache+")") || strings.Contains(r.stderr, "fatal error") {
		t.Fatalf("a full disk:\n%s", r.stderr)
	}
	t.Logf("a full disk:\n%s", r.stderr)
	os.Remove(filler)
	s := parseSummary(t, c.must(0, "build", "--cache-dir", cache, "//commits:all", "--json"))
	if s.Cached < 1 || s.Executed < 1 {
		t.Errorf("after room was made: %+v; the commit built before the disk filled should be replayed", s)
	}
}
