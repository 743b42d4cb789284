package ruletest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo"
)

// Commit stands in for the commit kind (rules/commit) in the tests of the kinds that read a
// commit's facts. Its action, "commit <label>", outputs artifact.CommitFacts under
// artifact.CommitOutput as the commit kind's does. A target that names a repository gets its
// facts from Git, through a gitrepo mirror in the user cache, as the commit kind does:
//
//	commit "c" {
//	  repo = "/tmp/TestX/001/src"  # an absolute path, here a gittest.Repo's Dir
//	  head = "<full sha>"
//	  base = "<full sha>"          # optional: default the first parent of head
//	}
//
// Without repo the facts are those written, for a commit no repository holds (an index
// serving wheels under made-up SHAs) or a test that sets subject and diff directly:
//
//	commit "c" {
//	  head    = "1111111111111111111111111111111111111111"
//	  base    = "2222222222222222222222222222222222222222"  # optional: GivenBase
//	  subject = "Speed up the block pool"
//	  message = "..."          # optional: the subject and a newline
//	  diff    = "diff --git a/pool.py b/pool.py\n+fast = True\n"
//	  files   = ["pool.py"]    # the files modified
//	}
//
// Such a commit has no repository (RepoURL is empty) and no trees, so a rule that would
// check it out fails as it would for facts that give none. Either way the action logs a line
// saying where its facts came from, so a test can check that the rules that report on their
// inputs (a dataset's provenance) point at each input's log.
type Commit struct{}

// RepoLabel is the repository label in the facts of every Commit.
const RepoLabel = "//repos:r"

// GivenBase is the base of a commit whose facts are written without one.
const GivenBase = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

// GivenDate is the date of every commit whose facts are written.
const GivenDate = "2026-01-01T00:00:00Z"

var _ engine.Decoder = Commit{}

func (Commit) Name() string { return "commit" }

func (Commit) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "repo", Type: engine.TypeString},
		{Name: "head", Type: engine.TypeString, Required: true},
		{Name: "base", Type: engine.TypeString},
		{Name: "subject", Type: engine.TypeString},
		{Name: "message", Type: engine.TypeString},
		{Name: "diff", Type: engine.TypeString},
		{Name: "files", Type: engine.TypeStrings},
		{Name: "repo_url", Type: engine.TypeString}, // the facts' RepoURL, for records that read it
	}}
}

// commitConfig is a decoded commit target: a repository to read, or the facts themselves.
type commitConfig struct {
	repo       string // absolute path of a Git repository, "" when the facts are given
	head, base string // as written, for reading the repository
	given      artifact.CommitFacts
}

func (Commit) Decode(t *engine.Target) (any, hcl.Diagnostics) {
	c := &commitConfig{repo: t.String("repo"), head: t.String("head"), base: t.String("base")}
	if c.repo != "" {
		return c, nil
	}
	f := artifact.CommitFacts{Repo: RepoLabel, Head: c.head, Base: c.base, Short: gitrepo.Short(c.head),
		Subject: t.String("subject"), Message: t.String("message"), Date: GivenDate, Diff: t.String("diff"),
		RepoURL: t.String("repo_url")}
	if f.Base == "" {
		f.Base = GivenBase
	}
	if !t.Has("message") && f.Subject != "" {
		f.Message = f.Subject + "\n"
	}
	for _, path := range t.Strings("files") {
		f.Files = append(f.Files, artifact.FileChange{Path: path, Change: "modified"})
	}
	c.given = f
	return c, nil
}

func (Commit) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	c := t.Config.(*commitConfig)
	a := &engine.Action{ID: "commit " + t.Label.String(), Mnemonic: "commit", Label: t.Label,
		Produces: []string{artifact.CommitOutput}}
	if c.repo == "" {
		data, err := json.Marshal(c.given)
		if err != nil {
			return nil, err
		}
		a.Prepare = func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return &engine.Work{RuleVersion: 1, Lines: []engine.Line{engine.LongLine("facts", data)},
				Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
					fmt.Fprintf(x.Log, "the facts of %s as the BUILD file gives them\n", c.given.Short)
					return engine.OK(map[string][]byte{artifact.CommitOutput: data}, nil), nil
				}}, nil
		}
		return a, nil
	}
	a.Prepare = func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
		lines := []engine.Line{engine.L("repo", c.repo), engine.L("head", c.head), engine.L("base", c.base)}
		return &engine.Work{RuleVersion: 1, Lines: lines, Run: c.read}, nil
	}
	return a, nil
}

// read reads the facts of head and base from the repository's mirror in the user cache.
func (c *commitConfig) read(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
	s := gitrepo.NewMirror(x.UserCache, c.repo).Session(true) // clones the mirror when it must
	defer s.Close()
	f, err := s.Facts(ctx, c.head, c.base)
	if err != nil {
		return nil, err
	}
	f.Repo, f.RepoURL = RepoLabel, c.repo
	fmt.Fprintf(x.Log, "the facts of %s (base %s) read from %s\n", f.Short, gitrepo.Short(f.Base), c.repo)
	data, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return engine.OK(map[string][]byte{artifact.CommitOutput: data}, nil), nil
}
