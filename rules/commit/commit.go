// Package commit is the `commit` target kind: one commit of a repository and the commit it is
// compared with.
//
//	commit "flash_attn_cpu" {
//	  repo = "//repos:vllm"
//	  head = "98f47f2a4032f8c395268de80858c64ffcfc60fa"  # a full SHA, a prefix, or a ref
//	  base = "8c1e77fb585c4f42783a3d88c1efc7c9e15fd89f"  # optional: default the first parent of head
//	}
//
// Its action reads the commit's facts from Git (artifact.CommitFacts: message, author, date,
// files changed with line counts, diffstat, diff, trees) and outputs them as JSON under
// artifact.CommitOutput. The facts hold no path of this machine, so the same commit gives the
// same digest everywhere.
//
// # Keys
//
// The key lines are the repo's label and url as written, "head <sha>", and "base <sha>" or
// "base first-parent"; when head or base was written as a ref or a prefix, also "head.ref" or
// "base.ref" with what was written. A full SHA (and the default base) is known without git, so
// a build whose commits are all named by SHA and cached runs no git process at all. A ref is
// resolved at each build, after one `git fetch` per repository per build, so a ref that moved
// makes its commit stale and `isobench why` shows "head changed (<old> -> <new>)". `isobench
// status` never fetches: it resolves refs against the mirror as the last build left it.
//
// # Failures
//
//   - unknown_commit: head or base is not in the repository even after fetching (or is not a
//     commit). Cached: a later --retry-failed build looks again.
//   - ambiguous_commit: a prefix matches several commits; the message lists them.
//   - root_commit: head has no parent and no base was given. Cached.
//   - repo_unreachable: the repository cannot be cloned or fetched (network, authentication,
//     or a local path or bundle that does not exist). Always transient, never cached, even for
//     a missing path: nothing in the key says whether the path exists, and creating it must
//     be enough for the next build to succeed.
//
// Prefixes and refs are resolved while the action is prepared, so their failures are
// reported then and are never cached either.
package commit

import (
	"context"
	"sync"
	"weak"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// ruleVersion changes whenever the facts of a commit would come out differently.
const ruleVersion = 1

// Kind is the commit kind. It keeps, per build, one use of each repository (a gitrepo
// Session: one fetch at most, one cat-file process), found through the repo target's action,
// which the planner makes once per build.
type Kind struct {
	mu   sync.Mutex
	uses map[weak.Pointer[engine.Action]]*repoUse
}

// New returns the commit kind, for registration with the loader.
func New() *Kind { return &Kind{uses: map[weak.Pointer[engine.Action]]*repoUse{}} }

var _ engine.Kind = (*Kind)(nil)
var _ engine.Decoder = (*Kind)(nil)

func (*Kind) Name() string { return "commit" }

func (*Kind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "repo", Type: engine.TypeLabel, RefKind: "repo", Required: true},
		{Name: "head", Type: engine.TypeString, Required: true},
		{Name: "base", Type: engine.TypeString},
	}}
}

// Decode implements engine.Decoder.
func (*Kind) Decode(t *engine.Target) (any, hcl.Diagnostics) { return decode(t) }

// target is a commit's config with what its action needs from the build's plan.
type target struct {
	*Config
	repoAction *engine.Action
	use        *repoUse
}

// Plan plans the repo target (the commit depends on its action) and returns the commit's
// action. Revisions that are not full SHAs are queued with the build's use of the repository,
// so that the first one resolved asks git about all of them at once.
func (k *Kind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	cfg := t.Config.(*Config)
	ra, err := p.Plan(cfg.Repo)
	if err != nil {
		return nil, err
	}
	c := &target{Config: cfg, repoAction: ra, use: k.use(ra)}
	c.use.want(c.Head, c.Base)
	return &engine.Action{
		ID:       "commit " + t.Label.String(),
		Mnemonic: "commit",
		Label:    t.Label,
		Produces: []string{artifact.CommitOutput},
		Deps:     []*engine.Action{ra},
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return c.prepare(ctx, in)
		},
	}, nil
}
