package engine

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Planner turns targets into actions. Each target is planned once (memoized) by its kind;
// actions with the same ID are merged, so work shared by several targets (the environment of
// one commit) is done once.
type Planner struct {
	ws       *Workspace
	byID     map[string]*Action
	byTarget map[Label]*Action
	planning []Label // the chain of targets being planned, to report cycles
	pools    map[string]int
}

// NewPlanner returns a planner over a loaded workspace.
func NewPlanner(ws *Workspace) *Planner {
	return &Planner{ws: ws, byID: map[string]*Action{}, byTarget: map[Label]*Action{}, pools: map[string]int{}}
}

// Workspace returns the workspace being planned.
func (p *Planner) Workspace() *Workspace { return p.ws }

// Target returns a declared target or nil.
func (p *Planner) Target(l Label) *Target { return p.ws.Targets[l] }

// Plan returns the action standing for target l, planning it on first use.
func (p *Planner) Plan(l Label) (*Action, error) {
	if a, ok := p.byTarget[l]; ok {
		return a, nil
	}
	t := p.ws.Targets[l]
	if t == nil {
		return nil, fmt.Errorf("no target %s", l)
	}
	for i, inProgress := range p.planning {
		if inProgress == l {
			return nil, p.cycle(append(append([]Label{}, p.planning[i:]...), l))
		}
	}
	p.planning = append(p.planning, l)
	defer func() { p.planning = p.planning[:len(p.planning)-1] }()
	a, err := p.ws.Kinds[t.Kind].Plan(p, t)
	if err != nil {
		return nil, err
	}
	a = p.Add(a)
	p.byTarget[l] = a
	return a, nil
}

func (p *Planner) cycle(path []Label) error {
	names := make([]string, len(path))
	for i, l := range path {
		names[i] = l.String()
	}
	first := p.ws.Targets[path[0]]
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Dependency cycle",
		Detail:   fmt.Sprintf("These targets depend on each other in a cycle: %s.", strings.Join(names, " -> ")),
		Subject:  first.Range.Ptr(),
	}}
}

// Add registers an action, returning the existing one when an action with the same ID is
// already planned. The action's dependencies are registered too, and a dependency whose ID
// is already planned is replaced by the planned action, so a helper action that two rules
// build separately (without calling Add) still runs once and is one node of the graph.
func (p *Planner) Add(a *Action) *Action {
	if prev, ok := p.byID[a.ID]; ok {
		return prev
	}
	p.byID[a.ID] = a
	var deps []*Action
	for i, d := range a.Deps {
		c := p.Add(d)
		if c != d && deps == nil {
			// Copy before changing: a rule may share one Deps slice between actions.
			deps = append([]*Action{}, a.Deps...)
		}
		if deps != nil {
			deps[i] = c
		}
	}
	if deps != nil {
		a.Deps = deps
	}
	return a
}

// Pool declares a named resource pool of the given size (the smallest size declared wins).
func (p *Planner) Pool(name string, size int) {
	if prev, ok := p.pools[name]; !ok || size < prev {
		p.pools[name] = size
	}
}

// Pools returns the declared pools.
func (p *Planner) Pools() map[string]int { return p.pools }

// Select resolves target patterns (relative to pkg) to labels. A pattern that names one
// target that does not exist is an error with a suggestion.
func (p *Planner) Select(patterns []string, pkg string) ([]Label, error) {
	return SelectTargets(p.ws, patterns, pkg)
}

// SelectTargets resolves patterns against a workspace's targets.
func SelectTargets(ws *Workspace, patterns []string, pkg string) ([]Label, error) {
	parsed := make([]Pattern, 0, len(patterns))
	for _, s := range patterns {
		pat, err := ParsePattern(s, pkg)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, pat)
	}
	labels := ws.Labels()
	matched, empty := Select(parsed, labels)
	for _, pat := range empty {
		if !pat.Exclude {
			return nil, NoMatch(pat, labels)
		}
	}
	return matched, nil
}

// Closure returns every action reachable from roots, dependencies before dependents.
func Closure(roots []*Action) []*Action {
	var order []*Action
	seen := map[*Action]bool{}
	var visit func(a *Action)
	visit = func(a *Action) {
		if seen[a] {
			return
		}
		seen[a] = true
		for _, d := range a.Deps {
			visit(d)
		}
		order = append(order, a)
	}
	for _, r := range roots {
		visit(r)
	}
	return order
}

// PlanFor plans the per-commit action of target l (a generator or an environment) for the
// commit action and side given. The kind of l must implement PerCommit.
func (p *Planner) PlanFor(l Label, commit *Action, side string) (*Action, error) {
	t := p.ws.Targets[l]
	if t == nil {
		return nil, fmt.Errorf("no target %s", l)
	}
	pc, ok := p.ws.Kinds[t.Kind].(PerCommit)
	if !ok {
		return nil, fmt.Errorf("%s is a %s, which cannot be used per commit", l, t.Kind)
	}
	a, err := pc.PlanFor(p, t, commit, side)
	if err != nil {
		return nil, err
	}
	return p.Add(a), nil
}
