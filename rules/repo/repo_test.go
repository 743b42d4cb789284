package repo_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo"
	"github.com/isobench/isobench/rules/repo"
	"github.com/isobench/isobench/rules/ruletest"
)

// workspace writes build as the package repos of a new workspace.
func workspace(t *testing.T, build string) *ruletest.Workspace {
	t.Helper()
	return ruletest.New(t, map[string]string{"repos/BUILD.hcl": build}, repo.New())
}

// A repo action does no work: it hands the declaration to its commits, and it is cached like
// any other result. Declaring a repository never clones it.
func TestRepoAction(t *testing.T) {
	w := workspace(t, `
repo "local" {
  url = "../upstream"
}
repo "remote" {
  url = "https://github.com/vllm-project/vllm.git"
}
`)
	root := w.Dir
	run := func() (*engine.Summary, map[string]gitrepo.Spec) {
		b := w.Build("//repos:local", "//repos:remote")
		specs := map[string]gitrepo.Spec{}
		for a, v := range b.Visits {
			var s gitrepo.Spec
			w.DecodeOutput(v, gitrepo.RepoOutput, &s)
			specs[a.Label.Name] = s
		}
		return b.Summary, specs
	}
	first, specs := run()
	if first.Executed != 2 || first.Failed != 0 {
		t.Errorf("first walk: %+v", first.Counts)
	}
	if s := specs["local"]; s.URL != "../upstream" || s.Pkg != "repos" || s.Location(root) != filepath.Join(root, "upstream") {
		t.Errorf("local spec %+v located at %s", s, s.Location(root))
	}
	if s := specs["remote"]; s.Location(root) != "https://github.com/vllm-project/vllm.git" {
		t.Errorf("remote located at %s", s.Location(root))
	}
	if second, _ := run(); second.Cached != 2 {
		t.Errorf("second walk: %+v", second.Counts)
	}
	if entries, _ := os.ReadDir(w.UserCache); len(entries) != 0 {
		t.Errorf("declaring repositories wrote into the user cache: %v", entries)
	}
}

func TestCheck(t *testing.T) {
	w := workspace(t, `
repo "empty" {
  url = ""
}
repo "dash" {
  url = "--upload-pack=touch /tmp/x"
}
repo "spaces" {
  url = " ../x "
}
`)
	var text string
	for _, d := range w.Diagnostics() {
		text += d.Detail + "\n"
	}
	for _, want := range []string{"cannot be empty", "starts with a dash", "starts or ends with spaces"} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, text)
		}
	}
}
