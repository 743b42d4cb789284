package commit_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/commit"
	"github.com/isobench/isobench/rules/ruletest"
)

const sha = "98f47f2a4032f8c395268de80858c64ffcfc60fa"

// loadCommits loads a real workspace whose commits/BUILD.hcl is a repo "up" followed by
// build, with the commit kind and the harness's stand-in for the repo kind. The repo block
// takes lines 1 to 3.
func loadCommits(t *testing.T, build string) (*engine.Workspace, hcl.Diagnostics) {
	t.Helper()
	w := ruletest.New(t, map[string]string{"commits/BUILD.hcl": "repo \"up\" {\n  url = \"../up\"\n}\n" + build},
		ruletest.Repo{}, commit.New())
	return w.TryLoad()
}

// TestConfigDiagnostics checks that each revision a commit refuses is refused when the
// workspace is loaded, once, at the place it was written. Every case's block starts on
// line 4, after the repo.
func TestConfigDiagnostics(t *testing.T) {
	for _, c := range []struct {
		name, build string
		at          string // line:column of the value
		want        string
	}{
		{"head with a dash", "commit \"c\" {\n  repo = \":up\"\n  head = \"--upload-pack=evil\"\n}\n", "6:10",
			"The head must be a commit SHA, a prefix of one, or a ref such as \"main\" or \"v1.0\", but it starts with a dash"},
		{"empty head", "commit \"c\" {\n  repo = \":up\"\n  head = \"\"\n}\n", "6:10", "but it is empty."},
		{"base with a space", "commit \"c\" {\n  repo = \":up\"\n  head = \"main\"\n  base = \"main~1 x\"\n}\n", "7:10",
			"The base must be a commit SHA, a prefix of one, or a ref such as \"main\" or \"v1.0\", but it contains whitespace"},
		{"base is head", fmt.Sprintf("commit \"c\" {\n  repo = \":up\"\n  head = %q\n  base = %q\n}\n", sha, strings.ToUpper(sha)), "7:10",
			"The base is the same commit as the head"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, diags := loadCommits(t, c.build)
			if len(diags) != 1 {
				t.Fatalf("%d diagnostics, want 1: %v", len(diags), diags)
			}
			d := diags[0]
			if d.Severity != hcl.DiagError || !strings.Contains(d.Detail, c.want) {
				t.Errorf("diagnostic %q (severity %v), want an error saying %q", d.Detail, d.Severity, c.want)
			}
			if got, want := ruletest.Position(d.Subject), "commits/BUILD.hcl:"+c.at; got != want {
				t.Errorf("diagnostic at %s, want %s", got, want)
			}
		})
	}
}

// TestConfigDecode checks the typed config of commits, one of them expanded by for_each: the
// repo label is resolved against the package, and head and base are kept as written.
func TestConfigDecode(t *testing.T) {
	ws, diags := loadCommits(t, fmt.Sprintf(`commit "pinned" {
  repo = ":up"
  head = %q
}
commit "each" {
  for_each = { first = "main", second = "v1.0" }
  repo     = "//commits:up"
  head     = each.value
  base     = "HEAD~3"
}
`, sha))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	up := engine.Label{Pkg: "commits", Name: "up"}
	for name, want := range map[string]commit.Config{
		"pinned":      {Repo: up, Head: sha},
		"each.first":  {Repo: up, Head: "main", Base: "HEAD~3"},
		"each.second": {Repo: up, Head: "v1.0", Base: "HEAD~3"},
	} {
		target := ws.Targets[engine.Label{Pkg: "commits", Name: name}]
		if target == nil {
			t.Errorf("no target %s", name)
			continue
		}
		got := *target.Config.(*commit.Config)
		got.Origin = commit.Origin{} // where it was written: for messages only
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: config %+v, want %+v", name, got, want)
		}
	}
}
