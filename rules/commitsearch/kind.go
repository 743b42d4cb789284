// Package commitsearch is the `commit_search` target kind: it mines a repository's history
// for performance commits and writes the list a `commit` target's for_each reads.
//
//	commit_search "vllm" {
//	  repo          = "//repos:vllm"
//	  from          = "v0.5.0"             # optional: leave out this revision's history
//	  to            = "main"               # default HEAD
//	  since         = "2024-06-01"         # optional author-date bounds (until is inclusive)
//	  keywords      = ["perf", "optimi[sz]", "speed ?up"]   # default DefaultKeywords
//	  paths         = ["vllm/**"]          # optional: a changed file must match
//	  exclude_paths = ["docs/**", "**/*.md"]
//	  max_files     = 10
//	  max_lines     = 1000
//	  generator     = "//generators:classify"   # optional: ask a model about each candidate
//	  exclude       = { "8c1e77fb585c" = "reverted two days later" }
//	  include       = { "98f47f2a4032" = "found by hand: the flash-attn CPU path" }
//	  output        = "perf_commits.csv"   # default isobench-out/<pkg>/<name>/commits.csv
//	}
//
// A search plans two actions. The scan (mnemonic "scan") resolves the range to SHAs while it
// is prepared, runs one `git log` over it when it executes, filters the commits by date,
// merges, keywords, paths and size, and reads the full facts of the candidates that remain
// (and of the include list's commits). It is deterministic and keyed by the resolved SHAs and
// the filters, so a build whose range did not move replays it without running git log.
//
// The search (mnemonic "search") reads the scan's candidates. With a generator, it renders
// the generator's prompt for every candidate while it is prepared, and its key lists each
// candidate's question by digest, so `isobench status` and `why` name the commits whose
// rendered prompt changed before anything is sent. When it executes, each question is looked
// up in the build's Memo under its own key (the commit, the endpoint, the model, the
// parameters, the rendered messages) and sent only when no answer is kept; each answer is
// kept as soon as it arrives, transient failures never. A second build sends nothing,
// extending the range asks only about the new commits, and a prompt edit asks again only
// where the rendered prompt changed. The exclude and include lists apply last.
//
// Its outputs are the list of selected commits as CSV or JSON, written to the output file the
// next build's for_each reads, and the record (the funnel and every decision with its
// reason), written beside it as <name>.search.json for review. The funnel is also the last
// part of the action's log (`isobench log`).
package commitsearch

import (
	"context"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// ruleVersion enters the keys of both actions; bump it when a scan or a search would come out
// differently.
const ruleVersion = 1

// Kind is the commit_search kind.
type Kind struct{}

var _ engine.Kind = Kind{}
var _ engine.Decoder = Kind{}

// Name implements engine.Kind.
func (Kind) Name() string { return "commit_search" }

// Schema implements engine.Kind. Nothing is late: a search is about a history, not a commit.
func (Kind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "repo", Type: engine.TypeLabel, RefKind: "repo", Required: true},
		{Name: "to", Type: engine.TypeString, NonEmpty: true},
		{Name: "from", Type: engine.TypeString, NonEmpty: true},
		{Name: "since", Type: engine.TypeString},
		{Name: "until", Type: engine.TypeString},
		{Name: "keywords", Type: engine.TypeStrings},
		{Name: "paths", Type: engine.TypeStrings},
		{Name: "exclude_paths", Type: engine.TypeStrings},
		{Name: "max_files", Type: engine.TypeInt, Min: engine.AtLeast(1)},
		{Name: "max_lines", Type: engine.TypeInt, Min: engine.AtLeast(1)},
		{Name: "merges", Type: engine.TypeBool},
		{Name: "generator", Type: engine.TypeLabel, RefKind: "generator"},
		{Name: "include", Type: engine.TypeStringMap},
		{Name: "exclude", Type: engine.TypeStringMap},
		{Name: "output", Type: engine.TypeString},
	}}
}

// Decode implements engine.Decoder.
func (Kind) Decode(t *engine.Target) (any, hcl.Diagnostics) { return decode(t) }

// Plan implements engine.Kind: the scan, and the search that reads it.
func (Kind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	c := t.Config.(*Config)
	ra, err := p.Plan(c.Repo)
	if err != nil {
		return nil, err
	}
	s := &search{Config: c, output: c.outputPath(p.Workspace().Settings.OutputDir)}
	if !c.Generator.IsZero() {
		if s.judge, err = engine.ClassifierFor(p, c.Generator); err != nil {
			return nil, err
		}
	}
	scan := &engine.Action{
		ID:       "scan " + t.Label.String(),
		Mnemonic: "scan",
		Label:    t.Label,
		Produces: []string{artifact.ScanOutput},
		Deps:     []*engine.Action{ra},
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return c.prepareScan(ctx, in, ra)
		},
	}
	return &engine.Action{
		ID:       "commit_search " + t.Label.String(),
		Mnemonic: "search",
		Label:    t.Label,
		Produces: []string{artifact.SearchOutput, artifact.CommitListOutput},
		Deps:     []*engine.Action{scan},
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return s.prepare(in, scan)
		},
	}, nil
}
