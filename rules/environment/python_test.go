package environment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
)

// Not parallel: it changes PATH and PYENV_ROOT, which every interpreter search reads.
func TestFindPython(t *testing.T) {
	resetProbes()
	t.Cleanup(resetProbes)
	ctx := context.Background()

	py, err := findPython(ctx, []string{"3.99", "3"})
	if err != nil {
		t.Fatalf("no Python 3 found: %v", err)
	}
	if py.Major != 3 || !strings.HasPrefix(py.Version, "3.") || py.Exe == "" || py.Platform == "" {
		t.Fatalf("probe: %+v", py)
	}
	if !py.Venv {
		t.Skip("this Python has no venv module")
	}

	_, err = findPython(ctx, []string{"3.99", "4.0"})
	var f *engine.Failure
	if !errors.As(err, &f) || f.Class != "python_missing" || !strings.Contains(f.Message, "3.99 or 4.0") {
		t.Fatalf("a missing Python gave %v, want python_missing naming both requests", err)
	}

	// A path is taken as it is.
	if got, err := findPython(ctx, []string{py.Exe}); err != nil || got.Version != py.Version {
		t.Fatalf("by path: %+v %v", got, err)
	}

	// pyenv's versions are searched when PATH has no match; a shim on PATH that fails (pyenv
	// does that for a version that is not selected) is passed over.
	root := t.TempDir()
	majorMinor := fmt.Sprintf("%d.%d", py.Major, py.Minor)
	bin := filepath.Join(root, "versions", py.Version, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(py.Exe, filepath.Join(bin, "python"+majorMinor)); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "versions", majorMinor+"-dev", "bin"), 0o755) // not a release: ignored
	shims := t.TempDir()
	shim := "#!/bin/sh\necho \"pyenv: python" + majorMinor + ": command not found\" >&2\nexit 127\n"
	if err := os.WriteFile(filepath.Join(shims, "python"+majorMinor), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", shims)
	t.Setenv("PYENV_ROOT", root)
	resetProbes()
	got, err := findPython(ctx, []string{majorMinor})
	if err != nil {
		t.Fatalf("pyenv's %s was not found: %v", py.Version, err)
	}
	if got.Version != py.Version || !strings.HasPrefix(got.Exe, root) {
		t.Fatalf("found %s at %s, want %s under %s", got.Version, got.Exe, py.Version, root)
	}
}
