package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// isobenchBin is the binary under test, built once by TestMain: the CLI tests run it as a
// user would, in its own process.
var isobenchBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "isobench-bin-")
	if err != nil {
		panic(err)
	}
	isobenchBin = filepath.Join(dir, "isobench")
	build := exec.Command("go", "build", "-o", isobenchBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=1", "CGO_CFLAGS=-Wno-deprecated-declarations")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building isobench: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs isobench in a workspace with its own per-user cache, like a fresh machine.
type cli struct {
	t    *testing.T
	dir  string   // where commands run
	home string   // ISOBENCH_HOME
	env  []string // extra environment
}

func newCLI(t *testing.T, dir string) *cli {
	return &cli{t: t, dir: dir, home: filepath.Join(t.TempDir(), "home")}
}

// result is one finished command.
type result struct {
	code           int
	stdout, stderr string
}

func (c *cli) command(args ...string) *exec.Cmd {
	cmd := exec.Command(isobenchBin, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "ISOBENCH_HOME="+c.home)
	cmd.Env = append(cmd.Env, c.env...)
	return cmd
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	cmd := c.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else if err != nil {
		c.t.Fatalf("isobench %s: %v", strings.Join(args, " "), err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// must runs a command that has to exit with want.
func (c *cli) must(want int, args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != want {
		c.t.Fatalf("isobench %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// writeFiles writes a tree of files under root.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// gitRepo makes a repository with the given commits (message -> files), oldest first, and
// returns the SHAs.
func gitRepo(t *testing.T, dir string, commits []map[string]string, messages []string) []string {
	t.Helper()
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com",
			"GIT_AUTHOR_DATE=2025-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2025-01-01T00:00:00Z")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	os.MkdirAll(dir, 0o755)
	git("init", "-q", "-b", "main")
	var shas []string
	for i, files := range commits {
		writeFiles(t, dir, files)
		git("add", "-A")
		git("commit", "-q", "-m", messages[i])
		shas = append(shas, git("rev-parse", "HEAD"))
	}
	return shas
}

// interrupt sends SIGINT to a running build, as Ctrl-C does, and expects it to stop within
// 20 s with exit status 1.
func interrupt(t *testing.T, build *exec.Cmd) {
	t.Helper()
	build.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- build.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the build did not stop after SIGINT")
	}
	if build.ProcessState.ExitCode() != 1 {
		t.Errorf("an interrupted build exits %d, want 1", build.ProcessState.ExitCode())
	}
}
