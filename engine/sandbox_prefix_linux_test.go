package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestSandboxRunsProgramAnywhere runs a program kept directly in the machine's temporary
// directory (/tmp/prog: the directory above the one holding it is the root), and one in a
// directory of it (/tmp/dir/prog: above it is /tmp). Each runs, and its /tmp is its own and
// writable, not the machine's.
func TestSandboxRunsProgramAnywhere(t *testing.T) {
	needSandbox(t)
	dir, err := os.MkdirTemp("", "isobench-prefix-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	beside := dir + "-prog" // in the temporary directory itself; removed with the test
	t.Cleanup(func() { os.Remove(beside) })
	script := []byte("#!/bin/sh\necho hello > /tmp/mine && ls /tmp\n")
	for _, prog := range []string{beside, filepath.Join(dir, "prog")} {
		if err := os.WriteFile(prog, script, 0o755); err != nil {
			t.Fatal(err)
		}
		run := t.TempDir()
		res, err := RunCommand(context.Background(), Command{Path: prog, Dir: run, Env: MinimalEnv(run, nil),
			Sandbox: &Sandbox{Writable: []string{run}}})
		if err != nil {
			t.Fatalf("%s: %v", prog, err)
		}
		if res.ExitCode != 0 {
			t.Errorf("%s: exit %d\n%s%s", prog, res.ExitCode, res.Stdout, res.Stderr)
		}
		if _, err := os.Stat(filepath.Join(os.TempDir(), "mine")); err == nil {
			t.Errorf("%s wrote the machine's /tmp", prog)
		}
	}
}
