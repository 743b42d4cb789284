package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/isobench/isobench/cache"
)

// A bench runs hand-built actions through the real scheduler against a real store, and
// records what executed and every event. The actions' behaviour is given by the test; the
// scheduler, the cache and the keys are the real ones.
type bench struct {
	t     *testing.T
	store *cache.Store
	runs  *runCounter

	mu     sync.Mutex
	events []Event
}

func newBench(t *testing.T) *bench {
	t.Helper()
	return &bench{t: t, store: openStore(t, t.TempDir()), runs: newRunCounter()}
}

func openStore(t *testing.T, dir string) *cache.Store {
	t.Helper()
	s, err := cache.Open(dir, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func (b *bench) Event(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, e)
}

// finishes returns the finish events of this bench so far, by action ID.
func (b *bench) finishes() map[string]Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := map[string]Event{}
	for _, e := range b.events {
		if e.Type == "finish" {
			if _, dup := m[e.ID]; dup {
				b.t.Errorf("action %s finished twice in one build", e.ID)
			}
			m[e.ID] = e
		}
	}
	return m
}

// build runs one build of roots and returns its summary and outcomes by action ID.
func (b *bench) build(ctx context.Context, roots []*Action, opt Options) (*Summary, map[string]*Visit) {
	b.t.Helper()
	b.mu.Lock()
	b.events = nil
	b.mu.Unlock()
	opt.Store = b.store
	if opt.Workspace == nil {
		opt.Workspace = &Workspace{Root: b.t.TempDir()}
	}
	if opt.Jobs == 0 {
		opt.Jobs = 4
	}
	opt.Handler = b
	sum, outcomes, err := Run(ctx, roots, opt)
	if err != nil {
		b.t.Fatalf("Run: %v", err)
	}
	byID := map[string]*Visit{}
	for a, o := range outcomes {
		byID[a.ID] = o
	}
	return sum, byID
}

// step describes a hand-built action. Its key lines are its own lines plus the "out" digest
// of each dependency, as a real rule's are, so that early cutoff works as it does for rules.
type step struct {
	id     string
	deps   []*Action
	lines  []Line                // default: one line naming the step
	out    func() string         // the "out" output; default the ID
	result func(x *Exec) *Result // instead of out: the whole result
	run    func(ctx context.Context, x *Exec) (*Result, error)
	needs  Needs
	accept bool
	valid  func(d *Outcome) bool
}

// action turns a step into an action whose executions b counts.
func (b *bench) action(s step) *Action {
	a := &Action{ID: s.id, Mnemonic: "test", Label: Label{Pkg: "t", Name: s.id}, Deps: s.deps, AcceptFailedDeps: s.accept}
	a.Prepare = func(ctx context.Context, in *Inputs) (*Work, error) {
		lines := s.lines
		if lines == nil {
			lines = []Line{L("step", s.id)}
		}
		for _, d := range s.deps {
			lines = append(lines, L("input."+d.ID, in.OutputDigest(d, "out")))
		}
		run := func(ctx context.Context, x *Exec) (*Result, error) {
			b.runs.add(s.id)
			switch {
			case s.run != nil:
				return s.run(ctx, x)
			case s.result != nil:
				return s.result(x), nil
			case s.out != nil:
				return OK(map[string][]byte{"out": []byte(s.out())}, nil), nil
			}
			return OK(map[string][]byte{"out": []byte(s.id)}, nil), nil
		}
		return &Work{RuleVersion: 1, Lines: lines, Needs: s.needs, Run: run, StillValid: s.valid}, nil
	}
	return a
}

func mustPattern(t *testing.T, s string) Pattern {
	t.Helper()
	p, err := ParsePattern(s, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
