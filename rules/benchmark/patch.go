package benchmark

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// patchFiles lists the paths a unified diff touches, both sides of a rename, sorted. It reads
// git's headers (diff --git a/x b/y) and plain diffs' (--- a/x, +++ b/y).
func patchFiles(patch string) []string {
	seen := map[string]bool{}
	add := func(p string) {
		p = strings.TrimSpace(p)
		if i := strings.IndexByte(p, '\t'); i >= 0 {
			p = p[:i] // a timestamp after the name
		}
		if p == "" || p == "/dev/null" {
			return
		}
		if len(p) > 2 && (p[:2] == "a/" || p[:2] == "b/") {
			p = p[2:]
		}
		seen[p] = true
	}
	for _, line := range strings.Split(patch, "\n") {
		switch {
		case strings.HasPrefix(line, "diff --git "):
			a, b, ok := strings.Cut(strings.TrimPrefix(line, "diff --git "), " b/")
			if ok {
				add(a)
				add(b)
			}
		case strings.HasPrefix(line, "--- "), strings.HasPrefix(line, "+++ "):
			add(line[4:])
		}
	}
	files := make([]string, 0, len(seen))
	for p := range seen {
		files = append(files, p)
	}
	slices.Sort(files)
	return files
}

// compiledExts are the suffixes of files a built package holds only in compiled form, and
// buildFiles the names of files that decide how it is built: a patch that touches either
// cannot be laid over an installed wheel.
var (
	compiledExts = []string{".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".cu", ".cuh",
		".pyx", ".pxd", ".rs", ".f", ".f90", ".m", ".mm"}
	buildFiles = []string{"setup.py", "setup.cfg", "pyproject.toml", "CMakeLists.txt", "meson.build",
		"Makefile", "Cargo.toml", "build.rs", "MANIFEST.in"}
)

// compiledFiles are the files of a patch that need a build.
func compiledFiles(files []string) []string {
	var out []string
	for _, f := range files {
		base := path.Base(f)
		if slices.Contains(compiledExts, strings.ToLower(path.Ext(f))) || slices.Contains(buildFiles, base) ||
			strings.HasSuffix(base, ".cmake") {
			out = append(out, f)
		}
	}
	return out
}

// applyPatch applies a variant's patch to the tree at dir with git apply. The error, when it
// does not apply, quotes git.
func applyPatch(ctx context.Context, dir, patch string) error {
	cmd := exec.CommandContext(ctx, "git", "apply", "--whitespace=nowarn", "-")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(patch)
	// The tree is not a repository; git must not find one above it and apply the patch
	// relative to that one's root.
	cmd.Env = append(os.Environ(), "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir), "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return &patchError{msg: msg}
	}
	return nil
}

// patchError is git apply's refusal: a deterministic failure (patch_failed).
type patchError struct{ msg string }

func (e *patchError) Error() string { return e.msg }

// overlay lays the patched files of tree over a copy of the installed packages of the
// environment at envDir, in dir, to be put first on PYTHONPATH. Each package the patch
// touches is copied whole, its bytecode included (hard links where the file system allows,
// else symbolic links, so a copy of a large package costs little), and the patched files are
// written in place of the links, never through them. It returns the files laid over, those no
// installed package holds (tests, documentation), which cannot affect the test, and the
// Python sources written, whose bytecode the caller compiles: runs write no bytecode
// (PYTHONDONTWRITEBYTECODE), so a module without it would be compiled again in every run of
// the variant and in none of base's.
func overlay(envDir, tree, dir string, files []string) (laid, outside, sources []string, err error) {
	sites, _ := filepath.Glob(filepath.Join(envDir, "lib", "python*", "site-packages"))
	copied := map[string]bool{}
	for _, f := range files {
		site, rel := locateInstalled(sites, f)
		if rel == "" {
			outside = append(outside, f)
			continue
		}
		top := strings.Split(rel, "/")[0]
		if !copied[top] {
			copied[top] = true
			if err := linkTree(filepath.Join(site, top), filepath.Join(dir, top)); err != nil {
				return nil, nil, nil, err
			}
		}
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.Remove(dst); err != nil && !os.IsNotExist(err) {
			return nil, nil, nil, err
		}
		data, err := os.ReadFile(filepath.Join(tree, filepath.FromSlash(f)))
		if os.IsNotExist(err) {
			laid = append(laid, f) // deleted by the patch
			continue
		} else if err != nil {
			return nil, nil, nil, err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, nil, nil, err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return nil, nil, nil, err
		}
		laid = append(laid, f)
		if strings.HasSuffix(dst, ".py") {
			sources = append(sources, dst)
		}
	}
	return laid, outside, sources, nil
}

// locateInstalled finds where a file of the repository lives among installed packages: the
// path itself, or without its leading directories (src/pkg/x.py is pkg/x.py once installed),
// whose first directory is an installed package.
func locateInstalled(sites []string, f string) (site, rel string) {
	parts := strings.Split(f, "/")
	for i := 0; i < len(parts)-1; i++ {
		for _, s := range sites {
			if fileExists(filepath.Join(s, parts[i], "__init__.py")) {
				return s, strings.Join(parts[i:], "/")
			}
		}
	}
	return "", ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// linkTree copies the directory src to dst, hard-linking files, or where hard links fail (dst
// on another file system) linking to them symbolically.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&os.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		if os.Link(p, target) == nil {
			return nil
		}
		return os.Symlink(p, target)
	})
}

// compileSources writes the bytecode of an overlay's patched Python files with the
// environment's python. py_compile writes a new file and renames it over the linked one, so
// the environment's bytecode stays as it was.
func compileSources(ctx context.Context, python string, sources []string) error {
	if len(sources) == 0 {
		return nil
	}
	out, err := exec.CommandContext(ctx, python, append([]string{"-m", "py_compile"}, sources...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("its Python files do not compile: %s", strings.TrimSpace(string(out)))
	}
	return nil
}
