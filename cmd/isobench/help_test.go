package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIHelp: every command's help, asked for either way, is on stdout with exit 0 and shows
// the synopsis, the flags as the README writes them and an example; a wrong flag is a usage
// error that names the help.
func TestCLIHelp(t *testing.T) {
	c := newCLI(t, t.TempDir())
	for _, cmd := range commands() {
		for _, args := range [][]string{{cmd.name, "--help"}, {"help", cmd.name}, {cmd.name, "-h"}} {
			r := c.must(0, args...)
			if !strings.HasPrefix(r.stdout, "Usage: isobench "+cmd.name) || !strings.Contains(r.stdout, "Example:\n  isobench "+cmd.name) || r.stderr != "" {
				t.Errorf("isobench %s: stdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.stdout, r.stderr)
			}
		}
	}
	r := c.must(0, "build", "--help")
	for _, want := range []string{"--keep-going", "-j N", "--rerun PATTERN", "-C DIR", "--var NAME=VALUE"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("build --help lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := c.must(0, "--version"); !strings.HasPrefix(r.stdout, "isobench ") {
		t.Errorf("--version: %q", r.stdout)
	}
	r = c.must(2, "build", "--frob")
	if r.stdout != "" || !strings.Contains(r.stderr, "-frob") || !strings.Contains(r.stderr, "isobench build --help") {
		t.Errorf("a wrong flag: stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

// TestCLICleanAndNames: gc --older-than 0s removes what a change made obsolete and keeps
// what the latest build used; the store is named after the workspace's name; clean says what
// it would remove and removes nothing without --yes.
func TestCLICleanAndNames(t *testing.T) {
	ws, shas := commitWorkspace(t)
	c := newCLI(t, ws)
	c.must(0, "build", "//commits:all")
	// A result a change made obsolete goes with gc --older-than 0s; what the latest build
	// used stays, and gc says so.
	build := mustRead(t, filepath.Join(ws, "commits", "BUILD.hcl"))
	writeFiles(t, ws, map[string]string{"commits/BUILD.hcl": strings.Replace(build, shas[1], shas[2], 1)})
	c.must(0, "build", "//commits:all")
	if r := c.must(0, "gc", "--older-than", "0s", "--dry-run"); !strings.Contains(r.stdout, "would remove 1 entries") || !strings.Contains(r.stdout, "kept the 3 results") {
		t.Errorf("gc --older-than 0s after a change:\n%s", r.stdout)
	}
	if dirs, _ := filepath.Glob(filepath.Join(c.home, "workspaces", "t-*")); len(dirs) != 1 {
		t.Errorf("the store is not named after workspace { name = \"t\" }: %v", dirs)
	}
	r := c.must(2, "clean")
	if !strings.Contains(r.stdout, "commit       3") || !strings.Contains(r.stdout, "pays for them again") || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("clean without --yes:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	if r := c.must(0, "status", "//commits:all"); strings.Contains(r.stdout, "stale    //") {
		t.Errorf("clean without --yes removed something:\n%s", r.stdout)
	}
	c.must(0, "clean", "--yes")
	if r := c.must(0, "status", "//commits:all"); !strings.Contains(r.stdout, "never built") {
		t.Errorf("clean --yes left results:\n%s", r.stdout)
	}
}
