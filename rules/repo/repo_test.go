package repo_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo"
	"github.com/isobench/isobench/rules/repo"
)

func workspace(t *testing.T, build string) string {
	t.Helper()
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "isobench.hcl"), []byte("workspace {\n  name = \"t\"\n}\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "repos"), 0o755)
	os.WriteFile(filepath.Join(root, "repos", "BUILD.hcl"), []byte(build), 0o644)
	return root
}

// A repo action does no work: it hands the declaration to its commits, and it is cached like
// any other result. Declaring a repository never clones it.
func TestRepoAction(t *testing.T) {
	root := workspace(t, `
repo "local" {
  url = "../upstream"
}
repo "remote" {
  url = "https://github.com/vllm-project/vllm.git"
}
`)
	ws, diags := engine.Load(root, engine.LoadOptions{Kinds: []engine.Kind{repo.New()}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	store, err := cache.Open(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	userCache := t.TempDir()
	run := func() (*engine.Summary, map[string]gitrepo.Spec) {
		p := engine.NewPlanner(ws)
		var roots []*engine.Action
		for _, name := range []string{"local", "remote"} {
			a, err := p.Plan(engine.Label{Pkg: "repos", Name: name})
			if err != nil {
				t.Fatal(err)
			}
			roots = append(roots, a)
		}
		sum, outcomes, err := engine.Run(context.Background(), roots, engine.Options{Store: store, Workspace: ws, UserCache: userCache})
		if err != nil {
			t.Fatal(err)
		}
		specs := map[string]gitrepo.Spec{}
		for a, o := range outcomes {
			data, err := store.Get(o.Outcome.Outputs[gitrepo.RepoOutput])
			if err != nil {
				t.Fatal(err)
			}
			var s gitrepo.Spec
			if err := json.Unmarshal(data, &s); err != nil {
				t.Fatal(err)
			}
			specs[a.Label.Name] = s
		}
		return sum, specs
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
	if entries, _ := os.ReadDir(userCache); len(entries) != 0 {
		t.Errorf("declaring repositories wrote into the user cache: %v", entries)
	}
}

func TestCheck(t *testing.T) {
	root := workspace(t, `
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
	_, diags := engine.Load(root, engine.LoadOptions{Kinds: []engine.Kind{repo.New()}})
	var text string
	for _, d := range diags {
		text += d.Detail + "\n"
	}
	for _, want := range []string{"cannot be empty", "starts with a dash", "starts or ends with spaces"} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, text)
		}
	}
}
