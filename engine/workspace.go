package engine

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// WorkspaceFile marks the root of a workspace; BuildFile marks a package.
const (
	WorkspaceFile = "isobench.hcl"
	BuildFile     = "BUILD.hcl"
)

// Workspace is a loaded workspace: its settings and every target.
type Workspace struct {
	Root     string
	Settings Settings
	Targets  map[Label]*Target
	Kinds    map[string]Kind
	// Executors are the registered executors by name, local among them, each with what it
	// made of its block of isobench.hcl.
	Executors map[string]*ExecutorSetting
	// Files holds the source of every file read, for rendering diagnostics with snippets.
	Files map[string][]byte

	// inputs stamps every file and directory loading and evaluation read (stamp.go), for a
	// record of the build (record.go); nil for a workspace not made by Load.
	inputs *inputLog
}

// Settings come from the `workspace` block of isobench.hcl.
type Settings struct {
	Name      string
	CacheDir  string // "" for the default under the per-user cache directory
	OutputDir string // where datasets are written; default isobench-out
	// RemoteCache is the base URL of a Bazel HTTP cache shared with other machines ("" for
	// none), and RemoteCacheTokenEnv the environment variable holding its bearer token.
	RemoteCache         string
	RemoteCacheTokenEnv string
}

// FindRoot walks up from dir to the directory holding isobench.hcl.
func FindRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, WorkspaceFile)); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no isobench workspace here: no isobench.hcl in this directory or any parent")
		}
	}
}

// PackageOf returns the package a directory belongs to ("" for the root), or an error when
// it is outside the workspace.
func (w *Workspace) PackageOf(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(w.Root, abs)
	if err != nil || rel == ".." || len(rel) > 2 && rel[:3] == "../" {
		return "", fmt.Errorf("%s is outside the workspace %s", dir, w.Root)
	}
	if rel == "." {
		return "", nil
	}
	return filepath.ToSlash(rel), nil
}

// ID names the workspace in the per-user cache: its name (the `workspace { name }` of
// isobench.hcl, else its directory's) and a hash of its path, so two checkouts never share a
// store by accident.
func (w *Workspace) ID() string {
	if n := SafeName(w.Settings.Name); w.Settings.Name != "" && n != "" {
		return n + "-" + w.rootHash()
	}
	return w.dirID()
}

// dirID is the ID named by the workspace's directory, which an ID was before a workspace's
// name could name it.
func (w *Workspace) dirID() string { return filepath.Base(w.Root) + "-" + w.rootHash() }

func (w *Workspace) rootHash() string {
	sum := sha256.Sum256([]byte(w.Root))
	return hex.EncodeToString(sum[:])[:12]
}

// Labels returns every target label, sorted.
func (w *Workspace) Labels() []Label {
	labels := make([]Label, 0, len(w.Targets))
	for l := range w.Targets {
		labels = append(labels, l)
	}
	sortLabels(labels)
	return labels
}

// UserCacheDir is the per-user cache root: $ISOBENCH_HOME, else $XDG_CACHE_HOME/isobench,
// else ~/.cache/isobench. Mirrors and environments are shared there by every workspace.
func UserCacheDir() string {
	if d := os.Getenv("ISOBENCH_HOME"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "isobench")
	}
	return filepath.Join(os.TempDir(), "isobench")
}

// CacheDir is the workspace's store: --cache-dir or $ISOBENCH_CACHE (override), else the
// workspace setting, else one directory per workspace under the user cache, as Bazel keeps
// one output base per workspace.
func (w *Workspace) CacheDir(override string) string {
	switch {
	case override != "":
		return override
	case os.Getenv("ISOBENCH_CACHE") != "":
		return os.Getenv("ISOBENCH_CACHE")
	case w.Settings.CacheDir != "":
		return resolvePath(w.Root, w.Settings.CacheDir)
	}
	dir := filepath.Join(UserCacheDir(), "workspaces", w.ID())
	// A store made before the workspace's name named it is under its directory's name: keep
	// using it rather than start an empty one.
	if w.Settings.Name != "" {
		old := filepath.Join(UserCacheDir(), "workspaces", w.dirID())
		if _, err := os.Stat(dir); err != nil && old != dir {
			if _, err := os.Stat(old); err == nil {
				return old
			}
		}
	}
	return dir
}

// OutputDir is where datasets are written.
func (w *Workspace) OutputDir() string {
	if w.Settings.OutputDir != "" {
		return resolvePath(w.Root, w.Settings.OutputDir)
	}
	return filepath.Join(w.Root, "isobench-out")
}

// sortLabels sorts labels as their strings sort, without building the strings.
func sortLabels(ls []Label) {
	slices.SortFunc(ls, compareLabels)
}

// compareLabels compares a and b as a.String() and b.String() compare. Both strings begin
// with "//", then compare as Pkg+":"+Name does: packages equal, by name; otherwise by the
// first byte where the two differ, the ':' after the shorter package counting as a byte.
func compareLabels(a, b Label) int {
	if a.Pkg == b.Pkg {
		return strings.Compare(a.Name, b.Name)
	}
	n := min(len(a.Pkg), len(b.Pkg))
	for i := 0; i < n; i++ {
		if a.Pkg[i] != b.Pkg[i] {
			return cmp.Compare(a.Pkg[i], b.Pkg[i])
		}
	}
	// One package is a prefix of the other: the shorter one's ':' meets the longer one's
	// next byte, and they cannot be equal unless the rest decides.
	if len(a.Pkg) < len(b.Pkg) {
		if c := cmp.Compare(':', b.Pkg[n]); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Pkg[n+1:]+":"+b.Name)
	}
	if c := cmp.Compare(a.Pkg[n], ':'); c != 0 {
		return c
	}
	return strings.Compare(a.Pkg[n+1:]+":"+a.Name, b.Name)
}
