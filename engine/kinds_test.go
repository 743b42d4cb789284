package engine

import (
	"context"
	"strings"
	"sync"
)

// The kinds below exist only for the engine's tests. Real kinds live under rules/ and may not
// be imported here (the engine must not know them), so these cover what the loader and the
// planner must handle: every attribute type, a label attribute restricted to one kind, a late
// attribute, a nested block, a required attribute, and planning through references (so that
// two targets naming each other make a cycle).

// thingKind is the all-purpose test kind. Its action's output is its text followed by its
// dependency's output, and its key lines are the text and the dependency's output digest, as
// a real rule's would be.
type thingKind struct {
	runs *runCounter // counts executions per action ID; nil to count nothing
}

func (thingKind) Name() string { return "thing" }

func (thingKind) Schema() *Schema {
	return &Schema{
		Attrs: []Attr{
			{Name: "dep", Type: TypeLabel, RefKind: "thing"},
			{Name: "ref", Type: TypeLabel},
			{Name: "text", Type: TypeString},
			{Name: "count", Type: TypeNumber},
			{Name: "ratio", Type: TypeNumber},
			{Name: "enabled", Type: TypeBool},
			{Name: "tags", Type: TypeStrings},
			{Name: "env", Type: TypeStringMap},
			{Name: "timeout", Type: TypeDuration},
			{Name: "mode", Type: TypeString, OneOf: []string{"fast", "slow"}},
			{Name: "select", Type: TypePatterns},
			{Name: "prompt", Type: TypeString, Late: true},
		},
		Blocks: []BlockSchema{{Name: "limits", Schema: &Schema{Attrs: []Attr{
			{Name: "cpus", Type: TypeNumber},
			{Name: "owner", Type: TypeLabel},
		}}}},
	}
}

func (k thingKind) Plan(p *Planner, t *Target) (*Action, error) {
	var dep *Action
	if t.Has("dep") {
		d, err := p.Plan(t.Body.Label("dep")) // t.Label is the target's own label field
		if err != nil {
			return nil, err
		}
		dep = d
	}
	a := &Action{ID: "thing " + t.Label.String(), Mnemonic: "thing", Label: t.Label}
	if dep != nil {
		a.Deps = []*Action{dep}
	}
	text := t.String("text")
	a.Prepare = func(ctx context.Context, in *Inputs) (*Work, error) {
		lines := []Line{L("text", text)}
		if dep != nil {
			lines = append(lines, L("input.dep", in.OutputDigest(dep, "out")))
		}
		return &Work{RuleVersion: 1, Lines: lines, Recordable: true, NoTempDir: true, Run: func(ctx context.Context, x *Exec) (*Result, error) {
			k.runs.add(a.ID)
			out := text
			if dep != nil {
				upstream, err := in.Output(dep, "out")
				if err != nil {
					return nil, err
				}
				out += "+" + string(upstream)
			}
			return OK(map[string][]byte{"out": []byte(out)}, nil), nil
		}}, nil
	}
	return a, nil
}

// noteKind has one required attribute and nothing else: a target of another kind for the
// "wrong kind of target" diagnostic.
type noteKind struct{}

func (noteKind) Name() string { return "note" }

func (noteKind) Schema() *Schema {
	return &Schema{Attrs: []Attr{{Name: "body", Type: TypeString, Required: true}}}
}

func (noteKind) Plan(p *Planner, t *Target) (*Action, error) {
	body := t.String("body")
	return &Action{ID: "note " + t.Label.String(), Mnemonic: "note", Label: t.Label,
		Prepare: func(ctx context.Context, in *Inputs) (*Work, error) {
			return &Work{RuleVersion: 1, Lines: []Line{L("body", body)}, Run: func(ctx context.Context, x *Exec) (*Result, error) {
				return OK(map[string][]byte{"out": []byte(body)}, nil), nil
			}}, nil
		}}, nil
}

func testKinds(runs *runCounter) []Kind { return []Kind{thingKind{runs: runs}, noteKind{}} }

// runCounter counts how often each action executed; safe for concurrent use.
type runCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func newRunCounter() *runCounter { return &runCounter{counts: map[string]int{}} }

func (c *runCounter) add(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[id]++
}

func (c *runCounter) get(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[id]
}

func (c *runCounter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.counts {
		n += v
	}
	return n
}

func (c *runCounter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, id := range sortedKeys(c.counts) {
		parts = append(parts, id)
	}
	return strings.Join(parts, ", ")
}
