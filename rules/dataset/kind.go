package dataset

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
)

// Name is the kind's name in BUILD.hcl files.
const Name = "dataset"

// RuleVersion enters every dataset key. Bump it when a record's content or a file's layout
// changes, so that datasets built by an older rule are rebuilt.
const RuleVersion = 2

// benchmarkKind is the only kind of target a dataset collects. Other targets a pattern
// matches (a commit declared in the same package, say) are left out silently, as Bazel's
// `:all` in a test suite keeps only tests. It is the one place the dataset names another
// kind: what an action produces (a measurement, see inputs.go) is known only once it has
// run, and the dataset must choose its dependencies when it is planned.
const benchmarkKind = "benchmark"

// Kind is the `dataset` target kind.
type Kind struct{}

var _ engine.Kind = Kind{}
var _ engine.Decoder = Kind{}
var _ engine.Reporter = Kind{}

// Name implements engine.Kind.
func (Kind) Name() string { return Name }

// Schema implements engine.Kind.
func (Kind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "benchmarks", Type: engine.TypePatterns, Required: true},
		{Name: "formats", Type: engine.TypeStrings},
		{Name: "include", Type: engine.TypeStrings},
		{Name: "output", Type: engine.TypeString},
		{Name: "description", Type: engine.TypeString},
		{Name: "license", Type: engine.TypeString},
		{Name: "pretty_name", Type: engine.TypeString},
		{Name: "task_categories", Type: engine.TypeStrings},
		{Name: "split", Type: engine.TypeString},
		{Name: "config_name", Type: engine.TypeString},
	}}
}

// Decode implements engine.Decoder.
func (Kind) Decode(t *engine.Target) (any, hcl.Diagnostics) { return decode(t) }

// Plan implements engine.Kind: one dataset action that depends on the measure action of
// every benchmark the patterns select, and accepts their failures, since a dataset records
// those too.
func (Kind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	cfg := t.Config.(*Config)
	labels, err := p.Select(cfg.Benchmarks, cfg.Label.Pkg)
	if err != nil {
		return nil, cfg.benchmarksError("Invalid benchmarks", "The benchmarks of %s cannot be resolved: %s", cfg.Label, sentenceEnd(err.Error()))
	}
	var inputs []input
	var deps []*engine.Action
	for _, l := range labels {
		if bt := p.Target(l); bt == nil || bt.Kind != benchmarkKind {
			continue
		}
		a, err := p.Plan(l)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, input{benchmark: l, measure: a})
		deps = append(deps, a)
	}
	if len(inputs) == 0 {
		return nil, cfg.benchmarksError("No benchmarks", "The patterns %q select no benchmark target, so %s would be empty.", cfg.Benchmarks, cfg.Label)
	}
	a := &engine.Action{
		ID:               "dataset " + cfg.Label.String(),
		Mnemonic:         Name,
		Label:            cfg.Label,
		Deps:             deps,
		AcceptFailedDeps: true,
	}
	a.Prepare = cfg.prepare(inputs)
	return a, nil
}

// sentenceEnd ends a message with a full stop unless it ends with one or a question mark.
func sentenceEnd(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// benchmarksError is a planning error that points at the benchmarks attribute.
func (c *Config) benchmarksError(summary, format string, args ...any) error {
	r := c.BenchmarksRange
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &r}}
}

// input is one benchmark and the action that measures it.
type input struct {
	benchmark engine.Label
	measure   *engine.Action
}

// outputDir is where the dataset's files go.
func (c *Config) outputDir(ws *engine.Workspace) string {
	switch {
	case c.Output == "":
		return filepath.Join(ws.OutputDir(), filepath.FromSlash(c.Label.Pkg), c.Label.Name)
	case filepath.IsAbs(c.Output):
		return c.Output
	}
	return filepath.Join(ws.Root, c.Output)
}

// includes reports whether a record is kept: `include` names statuses, verdicts and failure
// classes, and a record is kept when any of its three is listed.
func (c *Config) includes(r *Record) bool {
	if len(c.Include) == 0 {
		return true
	}
	for _, v := range c.Include {
		switch {
		case v == "all", v == r.Status:
			return true
		case r.Verdict != nil && v == *r.Verdict:
			return true
		case r.FailureClass != nil && v == *r.FailureClass:
			return true
		}
	}
	return false
}
