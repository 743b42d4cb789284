package benchmark

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// Kind is the `benchmark` target kind.
type Kind struct{}

var (
	_ engine.Kind    = Kind{}
	_ engine.Decoder = Kind{}
)

// Name is the block type users write.
func (Kind) Name() string { return "benchmark" }

var schema = &engine.Schema{
	Attrs: []engine.Attr{
		{Name: "commit", Type: engine.TypeLabel, RefKind: "commit", Required: true},
		{Name: "generator", Type: engine.TypeLabel, RefKind: "generator"},
		{Name: "script", Type: engine.TypeString},
		{Name: "command", Type: engine.TypeString, Late: true},
		{Name: "environment", Type: engine.TypeLabel, RefKind: "environment"},
		{Name: "metric", Type: engine.TypeString},
		{Name: "metric_regex", Type: engine.TypeString},
		{Name: "unit", Type: engine.TypeString},
		{Name: "direction", Type: engine.TypeString, OneOf: []string{"lower", "higher"}},
		{Name: "samples", Type: engine.TypeNumber},
		{Name: "warmup", Type: engine.TypeNumber},
		{Name: "timeout", Type: engine.TypeDuration},
	},
	Blocks: []engine.BlockSchema{
		{Name: "requires", Schema: &engine.Schema{Attrs: []engine.Attr{
			{Name: "gpus", Type: engine.TypeNumber},
			{Name: "compute_capability", Type: engine.TypeString},
			{Name: "memory_gb", Type: engine.TypeNumber},
			{Name: "fp8", Type: engine.TypeBool},
		}}},
		{Name: "verdict", Schema: &engine.Schema{Attrs: []engine.Attr{
			{Name: "confidence", Type: engine.TypeNumber},
			{Name: "max_p_value", Type: engine.TypeNumber},
			{Name: "min_effect", Type: engine.TypeNumber},
		}}},
	},
}

// Schema declares the attributes (see the package documentation).
func (Kind) Schema() *engine.Schema { return schema }

// Check reports, at load time, a test given more than one way or not at all, and settings
// out of range.
func (k Kind) Decode(t *engine.Target) (any, hcl.Diagnostics) { return nil, k.check(t) }

// check is the old Check, until the kind decodes into a typed config.
func (Kind) check(t *engine.Target) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var given []string
	for _, name := range []string{"generator", "script", "command"} {
		if t.Has(name) {
			given = append(given, name)
		}
	}
	switch {
	case len(given) == 0:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No test to run",
			Detail:  fmt.Sprintf("The benchmark %s needs a test: set one of generator, script or command.", t.Label),
			Subject: t.Range.Ptr()})
	case len(given) > 1:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "More than one test",
			Detail: fmt.Sprintf("The benchmark %s sets both %s and %s; a benchmark runs one test, so keep only one.",
				t.Label, given[0], given[1]),
			Subject: t.AttrRange(given[1]).Ptr()})
	}
	if _, err := decode(t); err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid benchmark setting",
			Detail: fmt.Sprintf("In the benchmark %s, %s.", t.Label, err), Subject: t.Range.Ptr()})
	}
	return diags
}

// Plan makes the measure action. It depends on the commit, on the generator's test for the
// commit (head side: one test measures both sides), and on the environment of each side.
func (Kind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	commit, err := p.Plan(t.Body.Label("commit"))
	if err != nil {
		return nil, err
	}
	m := &measure{target: t, commit: commit}
	deps := []*engine.Action{commit}
	if t.Has("generator") {
		if m.gen, err = p.PlanFor(t.Body.Label("generator"), commit, string(artifact.Head)); err != nil {
			return nil, err
		}
		deps = append(deps, m.gen)
	}
	if t.Has("environment") {
		env := t.Body.Label("environment")
		if m.envBase, err = p.PlanFor(env, commit, string(artifact.Base)); err != nil {
			return nil, err
		}
		if m.envHead, err = p.PlanFor(env, commit, string(artifact.Head)); err != nil {
			return nil, err
		}
		deps = append(deps, m.envBase, m.envHead)
	}
	return &engine.Action{
		ID:       "measure " + t.Label.String(),
		Mnemonic: "measure",
		Label:    t.Label,
		Deps:     deps,
		Prepare:  m.prepare,
	}, nil
}
