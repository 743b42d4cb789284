package benchmark

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func TestPatchFiles(t *testing.T) {
	patch := "diff --git a/src/pkg/a.py b/src/pkg/b.py\nsimilarity index 90%\nrename from src/pkg/a.py\nrename to src/pkg/b.py\n" +
		"--- /dev/null\n+++ b/csrc/k.cu\t2024-01-01\n"
	got := patchFiles(patch)
	if want := []string{"csrc/k.cu", "src/pkg/a.py", "src/pkg/b.py"}; !slices.Equal(got, want) {
		t.Errorf("patchFiles = %v, want %v", got, want)
	}
	if got := compiledFiles([]string{"pkg/x.py", "csrc/k.cu", "CMakeLists.txt", "cmake/utils.cmake", "pkg/y.pyx", "docs/a.md"}); !slices.Equal(got,
		[]string{"csrc/k.cu", "CMakeLists.txt", "cmake/utils.cmake", "pkg/y.pyx"}) {
		t.Errorf("compiledFiles = %v", got)
	}
}

// TestOverlay lays a patched module over a venv's installed package: the overlay links what
// the patch leaves alone, bytecode included, and has fresh bytecode for the patched module,
// while the environment's files stay as they were.
func TestOverlay(t *testing.T) {
	env := filepath.Join(t.TempDir(), "venv")
	if out, err := exec.Command("python3", "-m", "venv", "--without-pip", env).CombinedOutput(); err != nil {
		t.Fatalf("venv: %v: %s", err, out)
	}
	sites, _ := filepath.Glob(filepath.Join(env, "lib", "python*", "site-packages"))
	pkg := filepath.Join(sites[0], "pkg")
	write(t, filepath.Join(pkg, "__init__.py"), "")
	write(t, filepath.Join(pkg, "work.py"), "N = 100000\n")
	python := filepath.Join(env, "bin", "python")
	if out, err := exec.Command(python, "-m", "compileall", "-q", pkg).CombinedOutput(); err != nil {
		t.Fatalf("compileall: %v: %s", err, out)
	}
	pycs, _ := filepath.Glob(filepath.Join(pkg, "__pycache__", "work.*.pyc"))
	before, _ := os.ReadFile(pycs[0])

	tree := t.TempDir() // the patched checkout: src layout
	write(t, filepath.Join(tree, "src", "pkg", "work.py"), "N = 25000\n")
	dir := t.TempDir()
	laid, outside, sources, err := overlay(env, tree, dir, []string{"src/pkg/work.py", "tests/test_work.py"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(laid, []string{"src/pkg/work.py"}) || !slices.Equal(outside, []string{"tests/test_work.py"}) || len(sources) != 1 {
		t.Fatalf("laid %v, outside %v, sources %v", laid, outside, sources)
	}
	if err := compileSources(context.Background(), python, sources); err != nil {
		t.Fatal(err)
	}
	same := func(a, b string) bool {
		sa, errA := os.Stat(a)
		sb, errB := os.Stat(b)
		return errA == nil && errB == nil && os.SameFile(sa, sb)
	}
	if !same(filepath.Join(pkg, "__init__.py"), filepath.Join(dir, "pkg", "__init__.py")) {
		t.Error("the untouched module is not linked")
	}
	initPyc, _ := filepath.Glob(filepath.Join(pkg, "__pycache__", "__init__.*.pyc"))
	if !same(initPyc[0], filepath.Join(dir, "pkg", "__pycache__", filepath.Base(initPyc[0]))) {
		t.Error("the untouched module's bytecode is not linked")
	}
	overlayPyc := filepath.Join(dir, "pkg", "__pycache__", filepath.Base(pycs[0]))
	if same(pycs[0], overlayPyc) {
		t.Error("the patched module's bytecode is still the environment's")
	}
	if after, _ := os.ReadFile(pycs[0]); !bytes.Equal(before, after) {
		t.Error("compiling the overlay changed the environment's bytecode")
	}
	if data, _ := os.ReadFile(filepath.Join(pkg, "work.py")); string(data) != "N = 100000\n" {
		t.Errorf("the environment's module is now %q", data)
	}
	cmd := exec.Command(python, "-c", "import pkg.work; print(pkg.work.N)")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "PYTHONDONTWRITEBYTECODE=1")
	if out, err := cmd.Output(); err != nil || string(out) != "25000\n" {
		t.Errorf("the overlay imports N = %q (%v)", out, err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
