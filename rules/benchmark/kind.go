package benchmark

import (
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
		{Name: "primary_metric", Type: engine.TypeString},
		{Name: "directions", Type: engine.TypeStringMap},
		{Name: "flagged_runs", Type: engine.TypeString, OneOf: []string{string(KeepFlagged), string(ExcludeFlagged)}},
		{Name: "metric_regex", Type: engine.TypeString},
		{Name: "unit", Type: engine.TypeString},
		{Name: "direction", Type: engine.TypeString, OneOf: []string{string(Lower), string(Higher)}},
		{Name: "samples", Type: engine.TypeAny}, // a number, "auto" or {min, max}: decode checks
		{Name: "warmup", Type: engine.TypeInt},  // 0 to maxSamples: likewise
		{Name: "timeout", Type: engine.TypeDuration, Positive: true},
		{Name: "secrets", Type: engine.TypeStrings}, // sandbox.go
		{Name: "allow_network", Type: engine.TypeBool},
		// server.go: the client's runs per server session and how its results are read
		{Name: "client_runs", Type: engine.TypeInt, Min: engine.AtLeast(1)},
		{Name: "result_file", Type: engine.TypeString},
		{Name: "metrics", Type: engine.TypeStringMap},
		{Name: "metric_patterns", Type: engine.TypeStringMap},
		{Name: "units", Type: engine.TypeStringMap},
		{Name: "variants", Type: engine.TypeStringMap}, // name = patch text (variant.go)
		{Name: "preload", Type: engine.TypeAny},        // module names or "imports": decode checks (preload.go)
	},
	Blocks: []engine.BlockSchema{
		{Name: "server", Schema: serverSchema}, // server.go
		{Name: "requires", Schema: &engine.Schema{Attrs: []engine.Attr{
			{Name: "gpus", Type: engine.TypeInt, Min: engine.AtLeast(0)},
			{Name: "compute_capability", Type: engine.TypeString},
			{Name: "memory_gb", Type: engine.TypeNumber, Min: engine.AtLeast(0)},
			{Name: "fp8", Type: engine.TypeBool},
		}}},
		{Name: "verdict", Schema: &engine.Schema{Attrs: []engine.Attr{
			{Name: "confidence", Type: engine.TypeNumber},
			{Name: "max_p_value", Type: engine.TypeNumber},
			{Name: "min_effect", Type: engine.TypeNumber, Min: engine.AtLeast(0)},
		}}},
	},
}

// Schema declares the attributes (see the package documentation).
func (Kind) Schema() *engine.Schema { return schema }

// Decode makes the target's Config (see decode).
func (Kind) Decode(t *engine.Target) (any, hcl.Diagnostics) {
	cfg, diags := decode(t)
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

// Plan makes the measure action. It depends on the commit, on the generator's test for the
// commit (head side: one test measures both sides), and on the environment of each side.
func (Kind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	cfg := t.Config.(*Config)
	commit, err := p.Plan(cfg.Commit)
	if err != nil {
		return nil, err
	}
	m := &measure{label: t.Label, cfg: cfg, commit: commit}
	if cfg.Requires.GPUs == 0 {
		p.Pool(cpuPool, 1)
	}
	deps := []*engine.Action{commit}
	if cfg.Test == TestGenerated {
		if m.gen, err = p.PlanFor(cfg.Generator, commit, string(artifact.Head)); err != nil {
			return nil, err
		}
		deps = append(deps, m.gen)
	}
	if !cfg.Environment.IsZero() {
		if m.envBase, err = p.PlanFor(cfg.Environment, commit, string(artifact.Base)); err != nil {
			return nil, err
		}
		if m.envHead, err = p.PlanFor(cfg.Environment, commit, string(artifact.Head)); err != nil {
			return nil, err
		}
		deps = append(deps, m.envBase, m.envHead)
	}
	main := &engine.Action{
		ID:       "measure " + t.Label.String(),
		Mnemonic: "measure",
		Produces: []string{artifact.MeasurementOutput},
		Label:    t.Label,
		Deps:     deps,
		Prepare:  m.prepare,
	}
	if len(cfg.Variants) > 0 {
		// Each variant is a unit of its own beside the base/head measurement, which keeps its
		// key: the target's action gathers them (variant.go).
		return planVariants(t, main, m), nil
	}
	return main, nil
}
