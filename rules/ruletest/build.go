package ruletest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
)

// Build is what one build did.
type Build struct {
	Summary *engine.Summary
	// Roots are the plan's roots, in order, and Targets the visits of the targets the plan
	// selected, by label.
	Roots   []*engine.Action
	Targets map[engine.Label]*engine.Visit
	// Visits holds every action the build walked.
	Visits map[*engine.Action]*engine.Visit
	// Logs holds the log of every action that left one, by action ID.
	Logs map[string]string
}

// Build loads the workspace, plans the targets that patterns select and builds them with the
// default options (see Run).
func (w *Workspace) Build(patterns ...string) *Build {
	w.t.Helper()
	return w.Run(w.Plan(patterns...), engine.Options{})
}

// Run builds the plan's roots with the real scheduler, as `isobench build --keep-going`
// does: the store is opened for the build and closed after it. The options are the test's,
// with the store, the workspace and KeepGoing filled in and these defaults: the workspace's
// user cache, 4 jobs, the planner's pools. A cache error ends the test; an action's failure
// is in the result.
func (w *Workspace) Run(p *Plan, opt engine.Options) *Build {
	w.t.Helper()
	store := w.OpenStore(false)
	defer store.Close()
	opt.Store, opt.Workspace, opt.KeepGoing = store, p.Workspace, true
	if opt.UserCache == "" {
		opt.UserCache = w.UserCache
	}
	if opt.Jobs == 0 {
		opt.Jobs = 4
	}
	if opt.Pools == nil {
		opt.Pools = p.Planner.Pools()
	}
	ctx := context.Background()
	if w.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.Timeout)
		defer cancel()
	}
	sum, visits, err := engine.Run(ctx, p.Roots, opt)
	if err != nil {
		w.t.Fatalf("build: %v", err)
	}
	b := &Build{Summary: sum, Roots: p.Roots, Targets: map[engine.Label]*engine.Visit{}, Visits: visits, Logs: map[string]string{}}
	for i, l := range p.Targets {
		b.Targets[l] = visits[p.Roots[i]]
	}
	for a, v := range visits {
		if v.Outcome != nil && v.Outcome.Log != "" {
			data, err := store.Get(v.Outcome.Log)
			if err != nil {
				w.t.Fatalf("reading the log of %s: %v", a.ID, err)
			}
			b.Logs[a.ID] = string(data)
		}
	}
	return b
}

// Status walks the targets that patterns select without executing anything, as `isobench
// status` does, with the store opened read-only. It returns each target's state by label.
func (w *Workspace) Status(patterns ...string) map[engine.Label]engine.TargetState {
	w.t.Helper()
	p := w.Plan(patterns...)
	roots := map[engine.Label]*engine.Action{}
	for i, l := range p.Targets {
		roots[l] = p.Roots[i]
	}
	store := w.OpenStore(true)
	defer store.Close()
	states, err := engine.Inspect(context.Background(), p.Targets, roots, engine.Options{
		Store: store, Workspace: p.Workspace, UserCache: w.UserCache, Jobs: 4})
	if err != nil {
		w.t.Fatal(err)
	}
	byLabel := map[engine.Label]engine.TargetState{}
	for _, s := range states {
		byLabel[s.Label] = s
	}
	return byLabel
}

// Root returns the visit of the i-th root.
func (b *Build) Root(i int) *engine.Visit { return b.Visits[b.Roots[i]] }

// ByID returns the visit of the action with that ID, nil when the build walked none.
func (b *Build) ByID(id string) *engine.Visit {
	for a, v := range b.Visits {
		if a.ID == id {
			return v
		}
	}
	return nil
}

// Find returns the visit of the one action whose ID starts with prefix; none, or more than
// one, ends the test.
func (b *Build) Find(t testing.TB, prefix string) *engine.Visit {
	t.Helper()
	var found []*engine.Visit
	for a, v := range b.Visits {
		if strings.HasPrefix(a.ID, prefix) {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d actions of %d have an ID starting %q, want one", len(found), len(b.Visits), prefix)
	}
	return found[0]
}

// WithMnemonic returns the visits of the actions of one mnemonic ("generate"), by ID.
func (b *Build) WithMnemonic(m string) []*engine.Visit {
	var out []*engine.Visit
	for a, v := range b.Visits {
		if a.Mnemonic == m {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(x, y *engine.Visit) int { return strings.Compare(x.Action.ID, y.Action.ID) })
	return out
}

// AllLogs is every log of the build, each under its action's ID, for a failure message.
func (b *Build) AllLogs() string {
	var s strings.Builder
	for _, id := range slices.Sorted(maps.Keys(b.Logs)) {
		fmt.Fprintf(&s, "--- log of %s\n%s\n", id, b.Logs[id])
	}
	return s.String()
}

// Describe says in one line how a visit ended, for a failure message.
func Describe(v *engine.Visit) string {
	switch {
	case v == nil:
		return "not walked"
	case v.Outcome == nil:
		return fmt.Sprintf("not done (%s, error %v)", v.Reason, v.Err)
	}
	return fmt.Sprintf("%s %s: %s", v.Outcome.Status, v.Outcome.Class, v.Outcome.Message)
}
