package commit_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo"
	"github.com/isobench/isobench/rules/ruletest"
)

// The quickstart's repository bundle holds the commits examples/quickstart/repo/COMMITS.md
// lists, and each performance commit changes the one file it says.
func TestExampleBundle(t *testing.T) {
	bundle, err := filepath.Abs("../../examples/quickstart/repo/tinystats.bundle")
	if err != nil {
		t.Fatal(err)
	}
	commits := []struct{ name, sha, subject, file string }{
		{"sorted", "2e2fa710496f6628ecaf4a366b3afd4152417777", "Use sorted() in median and percentile", "tinystats/stats.py"},
		{"dict", "450290a1a540859b21691802a7220d5cdf8c0abb", "Count words with a dict instead of scanning a list", "tinystats/text.py"},
		{"docs", "3d2d4da226e20af96d71b5f1cd999a020ac11586", "Document usage and the functions in the README", "README.md"},
		{"prefix", "bc2b86dc36037297faa6fbdff9da9464e1e865e0", "Compute moving averages from precomputed prefix sums", "tinystats/stats.py"},
	}
	build := fmt.Sprintf("repo \"tinystats\" {\n  url = %q\n}\n", bundle)
	for _, c := range commits {
		build += fmt.Sprintf("commit %q {\n  repo = \":tinystats\"\n  head = %q\n}\n", c.name, c.sha)
	}
	build += "commit \"release\" {\n  repo = \":tinystats\"\n  head = \"v0.1.0\"\n}\n"
	build += "commit \"initial\" {\n  repo = \":tinystats\"\n  head = \"a7bf9e7bfa4c815a0da9d13ea5a44cd9eaa118ff\"\n}\n"
	w := newWorkspace(t, t.TempDir(), map[string]string{"quickstart/BUILD.hcl": build})
	r := w.Build("//quickstart:all")
	for _, c := range commits {
		f := facts(t, w, r, "//quickstart:"+c.name)
		if f.Head != c.sha || f.Subject != c.subject || len(f.Files) != 1 || f.Files[0].Path != c.file {
			t.Errorf("%s: head %s subject %q files %+v; COMMITS.md says %s %q changing %s", c.name, f.Head, f.Subject, f.Files, c.sha, c.subject, c.file)
		}
	}
	if f := facts(t, w, r, "//quickstart:release"); f.Head != commits[3].sha || f.HeadRef != "v0.1.0" {
		t.Errorf("v0.1.0 resolved to %s", f.Head)
	}
	if o := r.Targets[ruletest.Label("//quickstart:initial")]; o.Outcome.Status != engine.StatusFailed || o.Outcome.Class != gitrepo.ClassRootCommit {
		t.Errorf("the initial commit without base: %+v", o.Outcome)
	}
}
