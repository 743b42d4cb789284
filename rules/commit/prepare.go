package commit

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo"
)

// BaseFirstParent stands for the default base in key lines. The first parent of a commit is
// as immutable as the commit, so head's SHA and these words pin the base without asking git.
const BaseFirstParent = "first-parent"

// prepare computes the key lines. With head a full SHA and base a full SHA or absent, it runs
// no git at all; otherwise it resolves through the build's session (which fetches once in a
// build and never in status).
func (c *target) prepare(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
	spec, err := c.use.repoSpec(in, c.repoAction)
	if err != nil {
		return nil, err
	}
	root := ""
	if in.Workspace != nil {
		root = in.Workspace.Root
	}
	head, base := strings.ToLower(c.Head), strings.ToLower(c.Base)
	headRef, baseRef := ref(c.Head), ref(c.Base)
	if headRef != "" || baseRef != "" {
		s, err := c.use.session(spec, in.UserCache, root, in.Building)
		if err != nil {
			return nil, c.prepareFailure(err, root)
		}
		if headRef != "" {
			if head, err = s.Resolve(ctx, c.Head); err != nil {
				return nil, c.prepareFailure(err, root)
			}
		}
		if baseRef != "" {
			if base, err = s.Resolve(ctx, c.Base); err != nil {
				return nil, c.prepareFailure(err, root)
			}
		}
	}

	lines := []engine.Line{engine.L("repo", c.Repo), engine.L("repo.url", spec.URL), engine.L("head", head)}
	if headRef != "" {
		lines = append(lines, engine.L("head.ref", headRef))
	}
	if base == "" {
		lines = append(lines, engine.L("base", BaseFirstParent))
	} else {
		lines = append(lines, engine.L("base", base))
	}
	if baseRef != "" {
		lines = append(lines, engine.L("base.ref", baseRef))
	}
	return &engine.Work{
		RuleVersion: ruleVersion,
		Lines:       lines,
		Needs:       engine.Needs{CPU: 1},
		NoTempDir:   true, // the facts come from the mirror through git's pipes
		// Full SHAs are the key without asking git; a ref or a prefix is resolved at each
		// build (after a fetch), so only then may a build record not vouch for the key.
		Recordable: headRef == "" && baseRef == "",
		Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
			return c.run(ctx, x, spec, head, base, headRef, baseRef)
		},
	}, nil
}

// ref returns rev when it is a ref or a prefix (something resolved per build), "" when it is
// a full SHA or empty.
func ref(rev string) string {
	if rev == "" || gitrepo.IsFullSHA(rev) {
		return ""
	}
	return rev
}

// prepareFailure turns a resolution error into the engine's failure, keeping its class.
func (c *target) prepareFailure(err error, root string) error {
	var e *gitrepo.Error
	if errors.As(err, &e) {
		return &engine.Failure{Class: e.Class, Message: c.explain(e, root), Transient: true}
	}
	return err
}

// explain is a resolution error's message, with where an unknown revision was written.
func (c *target) explain(e *gitrepo.Error, root string) string {
	if e.Class != gitrepo.ClassUnknownCommit {
		return e.Msg
	}
	if o := c.origin(root, e.Msg); o != "" {
		return e.Msg + " " + o
	}
	return e.Msg
}

// meta is recorded with the result, outside the output: it says what the run did.
type meta struct {
	Files   int  `json:"files"`
	Fetched bool `json:"fetched,omitempty"` // the build's session had fetched by the end of this run
}

// run reads the facts. Both SHAs are full; base "" means the first parent of head.
func (c *target) run(ctx context.Context, x *engine.Exec, spec gitrepo.Spec, head, base, headRef, baseRef string) (*engine.Result, error) {
	s, err := c.use.session(spec, x.UserCache, x.Workspace, true)
	if err != nil {
		return nil, err
	}
	f, err := s.Facts(ctx, head, base)
	if err != nil {
		var e *gitrepo.Error
		switch {
		case errors.As(err, &e) && e.Transient:
			return engine.Transient(e.Class, "%s", c.explain(e, x.Workspace)), nil
		case errors.As(err, &e):
			return engine.Failed(e.Class, "%s", c.explain(e, x.Workspace)), nil
		}
		return nil, err
	}
	f.Repo, f.RepoURL, f.HeadRef, f.BaseRef = c.Repo.String(), spec.URL, headRef, baseRef
	data, err := Encode(f)
	if err != nil {
		return nil, err
	}
	return engine.OK(map[string][]byte{artifact.CommitOutput: data}, meta{Files: len(f.Files), Fetched: s.Fetched()}), nil
}

// Encode is the canonical encoding of commit facts: JSON with the fields in declaration order
// and a final newline, so equal facts are equal bytes.
func Encode(f *artifact.CommitFacts) ([]byte, error) {
	data, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
