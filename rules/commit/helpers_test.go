package commit_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/commit"
	"github.com/isobench/isobench/rules/repo"
)

// env is a workspace, a user cache and a store, as one user's machine has them.
type env struct {
	t         testing.TB
	root      string
	userCache string
	store     *cache.Store
	kinds     []engine.Kind // shared by every build, as in one isobench process
}

// newEnv writes files into a workspace at base/ws; a repository made at base/upstream is
// "../../upstream" from the package repos.
func newEnv(t testing.TB, base string, files map[string]string) *env {
	t.Helper()
	root := filepath.Join(base, "ws")
	files["isobench.hcl"] = "workspace {\n  name = \"test\"\n}\n"
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store, err := cache.Open(t.TempDir(), cache.Options{Owner: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &env{t: t, root: root, userCache: t.TempDir(), store: store, kinds: []engine.Kind{repo.New(), commit.New()}}
}

// result is what one build or status walk gave, by target.
type result struct {
	summary  *engine.Summary
	outcomes map[engine.Label]*engine.Visit
	states   map[engine.Label]engine.TargetState
}

// plan loads the workspace and plans the targets matched by patterns.
func (e *env) plan(patterns ...string) (*engine.Workspace, []engine.Label, map[engine.Label]*engine.Action) {
	e.t.Helper()
	ws, diags := engine.Load(e.root, engine.LoadOptions{Kinds: e.kinds})
	if diags.HasErrors() {
		e.t.Fatalf("load: %v", diags)
	}
	labels, err := engine.SelectTargets(ws, patterns, "")
	if err != nil {
		e.t.Fatal(err)
	}
	p := engine.NewPlanner(ws)
	roots := map[engine.Label]*engine.Action{}
	for _, l := range labels {
		a, err := p.Plan(l)
		if err != nil {
			e.t.Fatalf("plan %s: %v", l, err)
		}
		roots[l] = a
	}
	return ws, labels, roots
}

// build loads, plans and runs the targets, as `isobench build --keep-going` does.
func (e *env) build(patterns ...string) *result {
	e.t.Helper()
	ws, labels, roots := e.plan(patterns...)
	var list []*engine.Action
	for _, l := range labels {
		list = append(list, roots[l])
	}
	summary, outcomes, err := engine.Run(context.Background(), list, engine.Options{
		Store: e.store, Workspace: ws, UserCache: e.userCache, Jobs: 4, KeepGoing: true})
	if err != nil {
		e.t.Fatal(err)
	}
	r := &result{summary: summary, outcomes: map[engine.Label]*engine.Visit{}}
	for _, l := range labels {
		r.outcomes[l] = outcomes[roots[l]]
	}
	return r
}

// status walks the targets without executing, as `isobench status` does.
func (e *env) status(patterns ...string) *result {
	e.t.Helper()
	ws, labels, roots := e.plan(patterns...)
	states, err := engine.Inspect(context.Background(), labels, roots, engine.Options{
		Store: e.store, Workspace: ws, UserCache: e.userCache, Jobs: 4})
	if err != nil {
		e.t.Fatal(err)
	}
	r := &result{states: map[engine.Label]engine.TargetState{}}
	for _, s := range states {
		r.states[s.Label] = s
	}
	return r
}

func label(s string) engine.Label {
	l, err := engine.ParseLabel(s)
	if err != nil {
		panic(err)
	}
	return l
}

// facts decodes a finished commit's output.
func (e *env) facts(r *result, l string) *artifact.CommitFacts {
	e.t.Helper()
	o := r.outcomes[label(l)]
	if o == nil || o.Outcome == nil || o.Outcome.Status != engine.StatusOK {
		e.t.Fatalf("%s did not succeed: %+v", l, o)
	}
	data, err := e.store.Get(o.Outcome.Outputs[artifact.CommitOutput])
	if err != nil {
		e.t.Fatal(err)
	}
	var f artifact.CommitFacts
	if err := json.Unmarshal(data, &f); err != nil {
		e.t.Fatal(err)
	}
	return &f
}
