package dataset

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
)

// Name is the kind's name in BUILD.hcl files.
const Name = "dataset"

// RuleVersion enters every dataset key. Bump it when a record's content or a file's layout
// changes, so that datasets built by an older rule are rebuilt.
const RuleVersion = 1

// benchmarkKind is the only kind of target a dataset collects. Other targets a pattern
// matches (a commit declared in the same package, say) are left out silently, as Bazel's
// `:all` in a test suite keeps only tests.
const benchmarkKind = "benchmark"

// Formats a dataset may be written in.
const (
	FormatJSONL   = "jsonl"
	FormatParquet = "parquet"
)

var defaultFormats = []string{FormatJSONL, FormatParquet}

// Kind is the `dataset` target kind.
type Kind struct{}

var _ engine.Kind = Kind{}
var _ engine.Decoder = Kind{}

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
	}}
}

var classRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Check implements engine.Decoder: formats and include values are checked at load time, with
// the attribute's range.
func (k Kind) Decode(t *engine.Target) (any, hcl.Diagnostics) { return nil, k.check(t) }

// check is the old Check, until the kind decodes into a typed config.
func (Kind) check(t *engine.Target) hcl.Diagnostics {
	var diags hcl.Diagnostics
	bad := func(attr, format string, args ...any) {
		r := t.AttrRange(attr)
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + attr,
			Detail: fmt.Sprintf(format, args...), Subject: &r})
	}
	if t.Has("formats") {
		formats := t.Strings("formats")
		if len(formats) == 0 {
			bad("formats", `A dataset needs at least one format; write formats = ["jsonl", "parquet"] or leave the attribute out.`)
		}
		seen := map[string]bool{}
		for _, f := range formats {
			switch {
			case f != FormatJSONL && f != FormatParquet:
				bad("formats", "%q is not a format isobench writes; the formats are \"jsonl\" and \"parquet\".", f)
			case seen[f]:
				bad("formats", "The format %q is listed twice.", f)
			}
			seen[f] = true
		}
	}
	for _, v := range t.Strings("include") {
		if v != "all" && !classRE.MatchString(v) {
			bad("include", "%q is not an outcome: include lists \"all\", statuses (ok, failed, skipped, blocked), verdicts (improved, regressed, unchanged, noisy) or failure classes such as \"no_wheel\".", v)
		}
	}
	if t.Has("include") && len(t.Strings("include")) == 0 {
		bad("include", `An empty include keeps no record; leave the attribute out to keep every outcome.`)
	}
	if t.Has("output") && t.String("output") == "" {
		bad("output", "The output directory is empty; leave the attribute out to write to isobench-out/%s/%s.", t.Label.Pkg, t.Label.Name)
	}
	return diags
}

// Plan implements engine.Kind: one dataset action that depends on the measure action of
// every benchmark the patterns select, and accepts their failures, since a dataset records
// those too.
func (Kind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	labels, err := p.Select(t.Strings("benchmarks"), t.Label.Pkg)
	if err != nil {
		return nil, diag(t, "benchmarks", "Invalid benchmarks", "The benchmarks of %s cannot be resolved: %s", t.Label, sentenceEnd(err.Error()))
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
		return nil, diag(t, "benchmarks", "No benchmarks", "The patterns %q select no benchmark target, so %s would be empty.", t.Strings("benchmarks"), t.Label)
	}
	cfg := &config{
		label:       t.Label,
		patterns:    t.Strings("benchmarks"),
		formats:     defaultFormats,
		include:     t.Strings("include"),
		description: t.String("description"),
		license:     t.String("license"),
		output:      t.String("output"),
	}
	if t.Has("formats") {
		cfg.formats = t.Strings("formats")
	}
	if cfg.output != "" && !filepath.IsAbs(cfg.output) {
		cfg.output = filepath.Join(filepath.FromSlash(t.Label.Pkg), cfg.output) // relative to the package, like file()
	}
	a := &engine.Action{
		ID:               "dataset " + t.Label.String(),
		Mnemonic:         Name,
		Label:            t.Label,
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

func diag(t *engine.Target, attr, summary, format string, args ...any) error {
	r := t.AttrRange(attr)
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &r}}
}

// config is a dataset target as its action needs it.
type config struct {
	label       engine.Label
	patterns    []string
	formats     []string
	include     []string // nil for every outcome
	description string
	license     string
	output      string // "" for the default; else absolute, or relative to the workspace root
}

// input is one benchmark and the action that measures it.
type input struct {
	benchmark engine.Label
	measure   *engine.Action
}

// outputDir is where the dataset's files go.
func (c *config) outputDir(ws *engine.Workspace) string {
	switch {
	case c.output == "":
		return filepath.Join(ws.OutputDir(), filepath.FromSlash(c.label.Pkg), c.label.Name)
	case filepath.IsAbs(c.output):
		return c.output
	}
	return filepath.Join(ws.Root, c.output)
}

// includes reports whether a record is kept: `include` names statuses, verdicts and failure
// classes, and a record is kept when any of its three is listed.
func (c *config) includes(r *Record) bool {
	if len(c.include) == 0 {
		return true
	}
	for _, v := range c.include {
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
