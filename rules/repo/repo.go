// Package repo is the `repo` target kind: a Git repository that commits are taken from.
//
//	repo "vllm" {
//	  url = "https://github.com/vllm-project/vllm.git"  # or "../vllm" (a checkout), or "tiny.bundle"
//	}
//
// The url is a URL git can fetch (https://, ssh://, git@host:path, file://), a local path to
// a checkout or a bare repository, or a Git bundle file; a relative path is relative to the
// directory of the BUILD.hcl that declares it. isobench reads the repository through a mirror
// in the per-user cache and never writes into a local checkout.
//
// A repo target does no work of its own. Its action hands the declaration (gitrepo.Spec: the
// url as written and the package) to the commit actions that name it, which clone or fetch
// the mirror only when they need a commit or a ref it lacks. Nothing is fetched for a repo
// whose commits are all cached and named by full SHA.
package repo

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo"
)

// ruleVersion changes when the repo action's output changes meaning.
const ruleVersion = 1

// Kind is the repo kind.
type Kind struct{}

// New returns the repo kind, for registration with the loader.
func New() *Kind { return &Kind{} }

var _ engine.Kind = (*Kind)(nil)
var _ engine.Decoder = (*Kind)(nil)

func (*Kind) Name() string { return "repo" }

func (*Kind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "url", Type: engine.TypeString, Required: true},
	}}
}

// Decode implements engine.Decoder.
func (*Kind) Decode(t *engine.Target) (any, hcl.Diagnostics) { return decode(t) }

// Plan returns an action that does no work: its output is the declaration, so that commits
// read the url through their dependency instead of from another kind's target.
func (*Kind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	cfg := t.Config.(*Config)
	spec := gitrepo.Spec{URL: cfg.URL, Pkg: cfg.Pkg}
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	work := &engine.Work{
		RuleVersion: ruleVersion,
		Lines:       []engine.Line{engine.L("url", spec.URL), engine.L("pkg", spec.Pkg)},
		Done:        engine.OK(map[string][]byte{gitrepo.RepoOutput: data}, nil),
		Recordable:  true, // the declaration is the whole of it
	}
	return &engine.Action{
		ID:       "repo " + t.Label.String(),
		Mnemonic: "repo",
		Label:    t.Label,
		Prepare: func(_ context.Context, _ *engine.Inputs) (*engine.Work, error) {
			return work, nil
		},
	}, nil
}
