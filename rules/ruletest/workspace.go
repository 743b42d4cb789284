package ruletest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
)

// Workspace is an isobench workspace on disk, for one test.
type Workspace struct {
	t testing.TB
	// Dir is the workspace root, where isobench.hcl is.
	Dir string
	// CacheDir holds the Badger store of the workspace's builds.
	CacheDir string
	// UserCache is the per-user cache: the environment store, repository mirrors. A test that
	// shares one between workspaces, as one user's workspaces do, sets it after New.
	UserCache string
	// Kinds are registered at every load: the same values each time, as in one isobench
	// process, so a kind that keeps state between builds keeps it here too.
	Kinds []engine.Kind
	// Timeout, when set, cancels a build that runs longer, so that a test whose build hangs
	// fails with what it saw instead of at go test's deadline.
	Timeout time.Duration
}

// T is the test the workspace belongs to, for helpers built on it.
func (w *Workspace) T() testing.TB { return w.t }

// Settings is the isobench.hcl that New writes when the files do not hold one.
const Settings = "workspace {\n  name = \"test\"\n}\n"

// New writes files into a workspace in a new temporary directory, with a store and a user
// cache of its own. files maps slash paths relative to the root to their content; isobench.hcl
// is Settings unless files holds one.
func New(t testing.TB, files map[string]string, kinds ...engine.Kind) *Workspace {
	t.Helper()
	return NewAt(t, t.TempDir(), files, kinds...)
}

// NewAt is New with the root at dir, for a test that places other files around it: a
// repository at a relative path, a second workspace at another location.
func NewAt(t testing.TB, dir string, files map[string]string, kinds ...engine.Kind) *Workspace {
	t.Helper()
	w := &Workspace{t: t, Dir: dir, CacheDir: t.TempDir(), UserCache: t.TempDir(), Kinds: kinds}
	if _, ok := files["isobench.hcl"]; !ok {
		w.Write(map[string]string{"isobench.hcl": Settings})
	}
	w.Write(files)
	return w
}

// Write writes files (slash path relative to the root -> content), making directories as
// needed and replacing what was there.
func (w *Workspace) Write(files map[string]string) {
	w.t.Helper()
	for name, content := range files {
		path := filepath.Join(w.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
}

// TryLoad loads the workspace and returns it with everything the loader and the kinds'
// decoding said, errors included, for tests of what a kind accepts and how it decodes it.
func (w *Workspace) TryLoad() (*engine.Workspace, hcl.Diagnostics) {
	return engine.Load(w.Dir, engine.LoadOptions{Kinds: w.Kinds})
}

// Diagnostics is what TryLoad said, for tests that need only that.
func (w *Workspace) Diagnostics() hcl.Diagnostics {
	_, diags := w.TryLoad()
	return diags
}

// Position writes where a diagnostic points as file:line:column, or "nowhere".
func Position(r *hcl.Range) string {
	if r == nil {
		return "nowhere"
	}
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// Load loads the workspace. An error ends the test; the warnings are returned.
func (w *Workspace) Load() (*engine.Workspace, hcl.Diagnostics) {
	w.t.Helper()
	ws, diags := w.TryLoad()
	if diags.HasErrors() {
		w.t.Fatalf("loading the workspace: %s", diags.Error())
	}
	return ws, diags
}

// Plan is a loaded workspace and the actions a build is to walk.
type Plan struct {
	Workspace *engine.Workspace
	Planner   *engine.Planner
	Warnings  hcl.Diagnostics // what the loader warned of
	// Targets are the labels selected, in label order, and Roots their actions, in the same
	// order. A test may set Roots to other actions of the planner (an environment planned for
	// one side of a commit); Targets then name none of them.
	Targets []engine.Label
	Roots   []*engine.Action
}

// Plan loads the workspace and plans the targets that patterns select, as the command line
// does ("//pkg:name", "//pkg:all", "//..."). A load or planning error ends the test.
func (w *Workspace) Plan(patterns ...string) *Plan {
	w.t.Helper()
	ws, warnings := w.Load()
	labels, err := engine.SelectTargets(ws, patterns, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return w.plan(ws, warnings, labels)
}

// PlanKinds loads the workspace and plans every target of the kinds named.
func (w *Workspace) PlanKinds(kinds ...string) *Plan {
	w.t.Helper()
	ws, warnings := w.Load()
	var labels []engine.Label
	for _, l := range ws.Labels() {
		for _, k := range kinds {
			if ws.Targets[l].Kind == k {
				labels = append(labels, l)
			}
		}
	}
	return w.plan(ws, warnings, labels)
}

func (w *Workspace) plan(ws *engine.Workspace, warnings hcl.Diagnostics, labels []engine.Label) *Plan {
	w.t.Helper()
	p := &Plan{Workspace: ws, Planner: engine.NewPlanner(ws), Warnings: warnings, Targets: labels}
	for _, l := range labels {
		a, err := p.Planner.Plan(l)
		if err != nil {
			w.t.Fatalf("planning %s: %v", l, err)
		}
		p.Roots = append(p.Roots, a)
	}
	return p
}

// Label parses a label written in a test; a malformed one is the test's mistake and panics.
func Label(s string) engine.Label {
	l, err := engine.ParseLabel(s)
	if err != nil {
		panic(err)
	}
	return l
}

// Quote writes s as an HCL string literal, for text put into a BUILD file (a script, a
// diff): JSON's escapes are HCL's, and template sequences are doubled so they stay literal.
func Quote(s string) string {
	b, _ := json.Marshal(s)
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(string(b))
}
