package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/isobench/isobench/cache"
)

// planAll loads root and plans every target, as `isobench build //...` does.
func planAll(t *testing.T, root string, runs *runCounter) (*Workspace, []Label, map[Label]*Action) {
	t.Helper()
	ws := mustLoad(t, root, LoadOptions{Kinds: testKinds(runs)})
	p := NewPlanner(ws)
	labels := ws.Labels()
	roots := map[Label]*Action{}
	for _, l := range labels {
		a, err := p.Plan(l)
		if err != nil {
			t.Fatalf("planning %s: %v", l, err)
		}
		roots[l] = a
	}
	return ws, labels, roots
}

func buildAll(t *testing.T, store *cache.Store, root string, runs *runCounter) *Summary {
	t.Helper()
	ws := mustLoad(t, root, LoadOptions{Kinds: testKinds(runs)})
	sum, _, err := Run(context.Background(), planTargets(t, ws), Options{Store: store, Workspace: ws, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestInspectReportsStaleWithReasons builds a workspace, changes one attribute, and asks
// Inspect (what `isobench status` shows) what is stale. The reason names the changed line
// with its old and new values, found in the manifest the build left; dependents are stale
// because of it; nothing executes.
func TestInspectReportsStaleWithReasons(t *testing.T) {
	root := writeTree(t, map[string]string{
		"isobench.hcl": "",
		"pkg/BUILD.hcl": `thing "a" {
  text = "v1"
}

thing "b" {
  dep  = ":a"
  text = "b"
}

thing "c" {
  text = "c"
}
`,
	})
	store := openStore(t, t.TempDir())
	runs := newRunCounter()
	if sum := buildAll(t, store, root, runs); sum.Executed != 3 {
		t.Fatalf("first build: %+v", sum.Counts)
	}

	inspect := func() map[string]TargetState {
		t.Helper()
		ws, labels, roots := planAll(t, root, runs)
		states, err := Inspect(context.Background(), labels, roots, Options{Store: store, Workspace: ws, Jobs: 2})
		if err != nil {
			t.Fatal(err)
		}
		byLabel := map[string]TargetState{}
		for _, s := range states {
			byLabel[s.Label.String()] = s
		}
		return byLabel
	}
	for label, st := range inspect() {
		if st.State != "cached" || len(st.Stale) != 0 {
			t.Errorf("right after the build %s is %s %+v, want cached", label, st.State, st.Stale)
		}
	}

	edit(t, filepath.Join(root, "pkg", "BUILD.hcl"), `text = "v1"`, `text = "v2"`)
	appendFile(t, filepath.Join(root, "pkg", "BUILD.hcl"), "\nthing \"d\" {\n  text = \"new\"\n}\n")
	states := inspect()

	a := states["//pkg:a"]
	if a.State != "stale" || len(a.Stale) != 1 {
		t.Fatalf("a: %+v", a)
	}
	if got := a.Stale[0].Reason; got != "text changed (v1 -> v2)" {
		t.Errorf("a's reason = %q, want %q", got, "text changed (v1 -> v2)")
	}
	if !slices.Equal(a.Stale[0].Changes, []LineChange{{Name: "text", Old: "v1", New: "v2"}}) {
		t.Errorf("a's changes = %+v", a.Stale[0].Changes)
	}

	b := states["//pkg:b"]
	if b.State != "stale" || len(b.Stale) != 2 {
		t.Fatalf("b: %+v, want stale through a", b)
	}
	if b.Stale[0].ID != "thing //pkg:a" || b.Stale[1].ID != "thing //pkg:b" ||
		!strings.Contains(b.Stale[1].Reason, "thing //pkg:a is stale") {
		t.Errorf("b's stale actions: %+v", b.Stale)
	}
	if c := states["//pkg:c"]; c.State != "cached" {
		t.Errorf("c: %+v, want cached", c)
	}
	if d := states["//pkg:d"]; d.State != "stale" || len(d.Stale) != 1 || d.Stale[0].Reason != "never built" {
		t.Errorf("d: %+v, want stale, never built", d)
	}
	if runs.total() != 3 {
		t.Errorf("Inspect executed something: %v", runs)
	}

	// After a build, nothing is stale again.
	buildAll(t, store, root, runs)
	for label, st := range inspect() {
		if st.State != "cached" {
			t.Errorf("after the second build %s is %s %+v", label, st.State, st.Stale)
		}
	}
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}
