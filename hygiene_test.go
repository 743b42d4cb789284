package isobench_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// maxTrackedSize is the largest file the repository may track without declaring it. Sources,
// golden files and the example bundle are all far below it; a file over it is nearly always a
// build output committed by accident (a 32 MB cmd/isobench/isobench once was).
const maxTrackedSize = 1 << 20

// fixtures declares the tracked files allowed over maxTrackedSize, by slash path from the
// module root, each with the reason it has to be that large. To commit a large fixture, add it
// here in the same commit; prefer generating it in the test when that is cheap.
var fixtures = map[string]string{}

// TestNoLargeFiles fails when git tracks a file over maxTrackedSize that is not a declared
// fixture, so that CI (a clean clone) catches a build output or data dump before it spreads
// into every clone's history.
func TestNoLargeFiles(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not on PATH")
	}
	out, err := exec.CommandContext(t.Context(), "git", "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	files := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for _, name := range files {
		fi, err := os.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // tracked but deleted in the work tree: nothing that CI would check out
		}
		if err != nil {
			t.Error(err)
			continue
		}
		if fi.Size() > maxTrackedSize && fixtures[name] == "" {
			t.Errorf("%s is tracked and %.1f MiB, over the %d MiB limit: remove it (git rm --cached) and ignore it, or declare it in fixtures in hygiene_test.go",
				name, float64(fi.Size())/(1<<20), maxTrackedSize>>20)
		}
	}
	for name := range fixtures {
		if !slices.Contains(files, name) {
			t.Errorf("fixtures declares %s, which git does not track: remove it from the list", name)
		}
	}
}

// TestModTidy fails when `go mod tidy` would change go.mod or go.sum: a requirement that no
// import uses, a direct dependency marked indirect, or a missing checksum. It reads the module
// proxy when the module cache lacks a go.mod it needs.
func TestModTidy(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	cmd := exec.CommandContext(t.Context(), gobin, "mod", "tidy", "-diff")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	diff, err := cmd.Output()
	if err == nil {
		return
	}
	if len(diff) > 0 {
		t.Fatalf("go.mod is not tidy; run `go mod tidy` and commit go.mod and go.sum:\n%s", diff)
	}
	t.Fatalf("go mod tidy -diff: %v\n%s", err, stderr.Bytes())
}
