package commit_test

import (
	"path/filepath"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/commit"
	"github.com/isobench/isobench/rules/ruletest"
)

// newWorkspace writes files into a workspace at base/ws, so that a repository made at
// base/upstream is "../../upstream" from the package repos. Its repo targets are ruletest's
// stand-in for the repo kind, which this package may not import; the commit kind is one
// value for every build, as in one isobench process.
func newWorkspace(t testing.TB, base string, files map[string]string) *ruletest.Workspace {
	t.Helper()
	return ruletest.NewAt(t, filepath.Join(base, "ws"), files, ruletest.Repo{}, commit.New())
}

// facts decodes the facts of a commit target the build finished successfully.
func facts(t testing.TB, w *ruletest.Workspace, b *ruletest.Build, l string) *artifact.CommitFacts {
	t.Helper()
	v := b.Targets[ruletest.Label(l)]
	if v == nil || v.Outcome == nil || v.Outcome.Status != engine.StatusOK {
		t.Fatalf("%s did not succeed: %s", l, ruletest.Describe(v))
	}
	var f artifact.CommitFacts
	w.DecodeOutput(v, artifact.CommitOutput, &f)
	return &f
}
