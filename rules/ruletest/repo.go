package ruletest

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo"
)

// Repo stands in for the repo kind (rules/repo) in the commit kind's tests. Its action,
// "repo <label>", does no work: it hands the declaration to the commits that name it, as a
// gitrepo.Spec under gitrepo.RepoOutput, as the repo kind's does.
//
//	repo "up" {
//	  url = "../../upstream"  # relative to the package, as the repo kind reads it
//	}
type Repo struct{}

var _ engine.Decoder = Repo{}

func (Repo) Name() string { return "repo" }

func (Repo) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{{Name: "url", Type: engine.TypeString, Required: true}}}
}

func (Repo) Decode(t *engine.Target) (any, hcl.Diagnostics) {
	return &gitrepo.Spec{URL: t.String("url"), Pkg: t.Body.Pkg}, nil
}

func (Repo) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	spec := t.Config.(*gitrepo.Spec)
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	work := &engine.Work{RuleVersion: 1, Lines: []engine.Line{engine.L("url", spec.URL), engine.L("pkg", spec.Pkg)},
		Done: engine.OK(map[string][]byte{gitrepo.RepoOutput: data}, nil)}
	return &engine.Action{ID: "repo " + t.Label.String(), Mnemonic: "repo", Label: t.Label,
		Prepare: func(context.Context, *engine.Inputs) (*engine.Work, error) { return work, nil }}, nil
}
