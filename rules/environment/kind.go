package environment

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// ruleVersion enters every key this rule makes. Bump it when a change to the rule makes old
// environments or old preflight answers wrong.
const ruleVersion = 1

// Kind is the `environment` target kind.
type Kind struct{}

var (
	_ engine.Decoder       = Kind{}
	_ engine.PerCommit     = Kind{}
	_ engine.BuildObserver = Kind{}
	_ engine.StoreOwner    = Kind{}
)

// Name implements engine.Kind.
func (Kind) Name() string { return "environment" }

// Schema implements engine.Kind (config.go).
func (Kind) Schema() *engine.Schema { return schema }

// Decode implements engine.Decoder: the target's Config (config.go).
func (Kind) Decode(t *engine.Target) (any, hcl.Diagnostics) {
	c, diags := decode(t)
	if c == nil {
		return nil, diags // an untyped nil, so that Target.Config == nil holds
	}
	return c, diags
}

// Plan implements engine.Kind. An environment alone is built for no commit: its action
// records the declared settings and runs nothing, so `isobench build //envs:all` succeeds and
// `status` can show the target. Benchmarks reach it per commit and side through PlanFor.
func (Kind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	cfg := t.Config.(*Config)
	return &engine.Action{
		ID:       "environment " + t.Label.String(),
		Mnemonic: "environment",
		Label:    t.Label,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return engine.SettingsWork(ruleVersion, cfg.settingLines()), nil
		},
	}, nil
}

// PlanFor implements engine.PerCommit: the environment of one side ("base" or "head") of a
// commit. It is two actions. "resolve" asks the indexes which wheel files the packages resolve
// to, in a second and before anything heavy; "environment" builds from that answer. Both are
// identified by the commit action and side, so every benchmark of a commit shares them; and
// the environment's store directory is named by its inputs alone, so that base of one commit
// and head of its parent, or two specs that come to the same thing, share one directory.
func (Kind) PlanFor(p *engine.Planner, t *engine.Target, commit *engine.Action, side string) (*engine.Action, error) {
	cfg := t.Config.(*Config)
	sd := artifact.Side(side)
	if side == "" {
		sd = artifact.Head
	}
	if sd != artifact.Base && sd != artifact.Head {
		return nil, fmt.Errorf("%s: an environment is built for the side \"base\" or \"head\" of a commit, not %q", t.Label, side)
	}
	deps := []*engine.Action{commit}
	var resolve *engine.Action
	if cfg.NamesPackages {
		resolve = p.Add(&engine.Action{
			ID:       fmt.Sprintf("resolve %s @ %s %s", t.Label, commit.ID, sd),
			Mnemonic: "resolve",
			Label:    t.Label,
			Deps:     []*engine.Action{commit},
			Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
				return cfg.prepareResolve(ctx, in, commit, sd)
			},
		})
		deps = append(deps, resolve)
	}
	return &engine.Action{
		ID:       fmt.Sprintf("environment %s @ %s %s", t.Label, commit.ID, sd),
		Mnemonic: "environment",
		Label:    t.Label,
		Produces: []string{artifact.EnvironmentOutput},
		Deps:     deps,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return cfg.prepareBuild(ctx, in, commit, resolve, sd)
		},
	}, nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
