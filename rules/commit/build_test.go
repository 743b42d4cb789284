package commit_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
	"github.com/isobench/isobench/rules/ruletest"
)

const reposBuild = `repo "up" {
  url = "../../upstream"
}
`

// upstream makes base/upstream with three commits and a tag.
func upstream(t *testing.T, base string) (r *gittest.Repo, shas []string) {
	r = gittest.NewAt(t, filepath.Join(base, "upstream"))
	shas = append(shas, r.Commit("Initial import", map[string]string{"stats.py": "def median(xs):\n    return sorted(xs)[len(xs) // 2]\n"}))
	shas = append(shas, r.Commit("Add mean", map[string]string{"stats.py": "def median(xs):\n    return sorted(xs)[len(xs) // 2]\n\ndef mean(xs):\n    return sum(xs) / len(xs)\n"}))
	shas = append(shas, r.Commit("Docs", map[string]string{"README.md": "# stats\n"}))
	r.Git("tag", "-a", "-m", "release", "v1", shas[1])
	return r, shas
}

// A build through the engine with a real cache: every way of naming a commit gives the right
// facts; the second build executes nothing.
func TestBuildTwice(t *testing.T) {
	base := t.TempDir()
	_, shas := upstream(t, base)
	w := newWorkspace(t, base, map[string]string{
		"repos/BUILD.hcl": reposBuild,
		"commits/BUILD.hcl": fmt.Sprintf(`
commit "full" {
  repo = "//repos:up"
  head = "%s"
}
commit "prefix" {
  repo = "//repos:up"
  head = "%s"
}
commit "ref" {
  repo = "//repos:up"
  head = "main"
}
commit "tagged" {
  repo = "//repos:up"
  head = "v1"
  base = "%s"
}
`, shas[1], shas[2][:9], shas[0]),
	})
	first := w.Build("//commits:all")
	if first.Summary.Failed > 0 {
		t.Fatalf("first build failed: %+v", first.Summary.Failures)
	}
	if first.Summary.Executed != 5 { // four commits and the repo
		t.Errorf("first build executed %d actions, want 5", first.Summary.Executed)
	}
	for _, c := range []struct{ label, head, base, headRef, baseRef string }{
		{"//commits:full", shas[1], shas[0], "", ""},
		{"//commits:prefix", shas[2], shas[1], shas[2][:9], ""},
		{"//commits:ref", shas[2], shas[1], "main", ""},
		{"//commits:tagged", shas[1], shas[0], "v1", ""},
	} {
		f := facts(t, w, first, c.label)
		if f.Head != c.head || f.Base != c.base || f.HeadRef != c.headRef || f.BaseRef != c.baseRef {
			t.Errorf("%s: head %s base %s refs %q %q; want %s %s %q %q", c.label, f.Head, f.Base, f.HeadRef, f.BaseRef,
				c.head, c.base, c.headRef, c.baseRef)
		}
		if f.Repo != "//repos:up" || f.RepoURL != "../../upstream" {
			t.Errorf("%s: repo %s %s", c.label, f.Repo, f.RepoURL)
		}
	}
	if f := facts(t, w, first, "//commits:full"); f.Subject != "Add mean" || len(f.Files) != 1 || f.Files[0].Added != 3 {
		t.Errorf("facts of //commits:full: subject %q, files %+v", f.Subject, f.Files)
	}
	desc := first.Targets[ruletest.Label("//commits:full")].Desc
	for _, line := range []string{"repo //repos:up\n", "repo.url ../../upstream\n", "head " + shas[1] + "\n", "base first-parent\n"} {
		if !strings.Contains(desc, line) {
			t.Errorf("the key description lacks %q:\n%s", line, desc)
		}
	}
	if desc := first.Targets[ruletest.Label("//commits:ref")].Desc; !strings.Contains(desc, "head.ref main\n") {
		t.Errorf("the key description of a ref lacks its name:\n%s", desc)
	}

	second := w.Build("//commits:all")
	if second.Summary.Executed != 0 || second.Summary.Failed != 0 || second.Summary.Cached != 5 {
		t.Errorf("second build: %+v, want everything cached", second.Summary.Counts)
	}
	for l, o := range first.Targets {
		if got := second.Targets[l].Outcome.Outputs; got["facts"] != o.Outcome.Outputs["facts"] {
			t.Errorf("%s: output digest changed between builds", l)
		}
	}
}

// A build whose commits are all full SHAs and cached needs no git: here git is not even on
// PATH for the second build.
func TestCachedBuildRunsNoGit(t *testing.T) {
	base := t.TempDir()
	_, shas := upstream(t, base)
	w := newWorkspace(t, base, map[string]string{
		"repos/BUILD.hcl": reposBuild,
		"commits/BUILD.hcl": fmt.Sprintf(`
commit "a" {
  repo = "//repos:up"
  head = "%s"
}
commit "b" {
  repo = "//repos:up"
  head = "%s"
  base = "%s"
}
`, shas[1], shas[2], shas[0]),
	})
	if r := w.Build("//commits:all"); r.Summary.Failed > 0 || r.Summary.Executed != 3 {
		t.Fatalf("first build: %+v", r.Summary)
	}
	t.Setenv("PATH", "")
	r := w.Build("//commits:all")
	if r.Summary.Executed != 0 || r.Summary.Failed != 0 {
		t.Errorf("a cached build with git missing: %+v", r.Summary)
	}
	if s := w.Status("//commits:all"); s[ruletest.Label("//commits:a")].State != "cached" {
		t.Errorf("status = %+v", s[ruletest.Label("//commits:a")])
	}
}

// A ref that moved upstream makes its commit stale at the next build (not in status, which
// never fetches), and the changed key line says from where to where.
func TestRefMoved(t *testing.T) {
	base := t.TempDir()
	r, shas := upstream(t, base)
	w := newWorkspace(t, base, map[string]string{
		"repos/BUILD.hcl":   reposBuild,
		"commits/BUILD.hcl": "commit \"tip\" {\n  repo = \"//repos:up\"\n  head = \"main\"\n}\n",
	})
	first := w.Build("//commits:tip")
	moved := r.Commit("Faster median", map[string]string{"stats.py": "import statistics\nmedian = statistics.median_low\n"})

	if s := w.Status("//commits:tip"); s[ruletest.Label("//commits:tip")].State != "cached" {
		t.Errorf("status fetched: %+v", s[ruletest.Label("//commits:tip")])
	}
	second := w.Build("//commits:tip")
	if second.Summary.ByMnemonic["commit"].Executed != 1 {
		t.Fatalf("after main moved the commit did not run again: %+v", second.Summary.Counts)
	}
	if f := facts(t, w, second, "//commits:tip"); f.Head != moved || f.Base != shas[2] || f.Subject != "Faster median" {
		t.Errorf("facts after the move: head %s base %s %q", f.Head, f.Base, f.Subject)
	}
	changes := engine.DiffDescriptions(first.Targets[ruletest.Label("//commits:tip")].Desc, second.Targets[ruletest.Label("//commits:tip")].Desc)
	want := fmt.Sprintf("head changed (%s -> %s)", shas[2], moved)
	if got := engine.ChangeSummary(changes); got != want {
		t.Errorf("why: %q, want %q", got, want)
	}
}

// Failure classes: deterministic ones are cached, a missing repository is transient.
func TestFailures(t *testing.T) {
	base := t.TempDir()
	r, shas := upstream(t, base)
	root := shas[0]
	bulk := r.FastImport("bulk", 3000)
	seen := map[string]bool{}
	ambiguous := ""
	for _, sha := range bulk {
		if seen[sha[:4]] {
			ambiguous = sha[:4]
			break
		}
		seen[sha[:4]] = true
	}
	w := newWorkspace(t, base, map[string]string{
		"repos/BUILD.hcl": reposBuild + `
repo "gone" {
  url = "../no-such-repo"
}
`,
		"commits/BUILD.hcl": fmt.Sprintf(`
commit "unknown" {
  for_each = { for row in csvdecode(file("shas.csv")) : row.name => row }
  repo     = "//repos:up"
  head     = each.value.sha
}
commit "root" {
  repo = "//repos:up"
  head = "%s"
}
commit "ambiguous" {
  repo = "//repos:up"
  head = "%s"
}
commit "unreachable" {
  repo = "//repos:gone"
  head = "%s"
}
commit "nobranch" {
  repo = "//repos:up"
  head = "no-such-branch"
}
`, root, ambiguous, shas[1]),
		"commits/shas.csv": "name,sha\nbad,1234567890abcdef1234567890abcdef12345678\n",
	})
	want := map[string]struct {
		class  string
		cached bool // is the failure cached for the next build
	}{
		"//commits:unknown.bad": {gitrepo.ClassUnknownCommit, true},
		"//commits:root":        {gitrepo.ClassRootCommit, true},
		"//commits:ambiguous":   {gitrepo.ClassAmbiguousCommit, false},
		"//commits:unreachable": {gitrepo.ClassUnreachable, false},
		"//commits:nobranch":    {gitrepo.ClassUnknownCommit, false},
	}
	first := w.Build("//commits:all")
	for l, c := range want {
		o := first.Targets[ruletest.Label(l)]
		if o.Outcome == nil || o.Outcome.Status != engine.StatusFailed || o.Outcome.Class != c.class {
			t.Errorf("%s: %+v, want failed with class %s", l, o.Outcome, c.class)
		}
	}
	if msg := first.Targets[ruletest.Label("//commits:unknown.bad")].Outcome.Message; !strings.Contains(msg, "1234567890ab is not in repository ../../upstream (fetched just now)") ||
		!strings.Contains(msg, `is written at commits/BUILD.hcl:5 (for_each key "bad"), from commits/shas.csv row 2`) {
		t.Errorf("unknown commit message: %q", msg)
	}
	if msg := first.Targets[ruletest.Label("//commits:unreachable")].Outcome.Message; !strings.Contains(msg, "does not exist") {
		t.Errorf("unreachable message: %q", msg)
	}
	second := w.Build("//commits:all")
	for l, c := range want {
		o := second.Targets[ruletest.Label(l)]
		if o.Outcome == nil || o.Outcome.Cached != c.cached || o.Outcome.Class != c.class {
			t.Errorf("%s in the second build: cached %v class %q, want cached %v class %s", l, o.Outcome.Cached, o.Outcome.Class, c.cached, c.class)
		}
	}
	// Creating the missing repository is enough to fix its commit: nothing was cached.
	if err := os.Rename(filepath.Join(base, "upstream"), filepath.Join(base, "ws", "no-such-repo")); err != nil {
		t.Fatal(err)
	}
	if third := w.Build("//commits:unreachable"); third.Targets[ruletest.Label("//commits:unreachable")].Outcome.Status != engine.StatusOK {
		t.Errorf("after the repository appeared: %+v", third.Targets[ruletest.Label("//commits:unreachable")].Outcome)
	}
}

// Status never clones or fetches: with refs and no mirror it reports an error and leaves the
// user cache empty.
func TestStatusNeverFetches(t *testing.T) {
	base := t.TempDir()
	_, shas := upstream(t, base)
	w := newWorkspace(t, base, map[string]string{
		"repos/BUILD.hcl": reposBuild,
		"commits/BUILD.hcl": fmt.Sprintf(`
commit "ref" {
  repo = "//repos:up"
  head = "main"
}
commit "sha" {
  repo = "//repos:up"
  head = "%s"
}
`, shas[2]),
	})
	if r := w.Build("//commits:sha"); r.Summary.Failed > 0 {
		t.Fatalf("build: %+v", r.Summary.Failures)
	}
	// Same store, but a user cache without the mirror (another machine sharing the store).
	w.UserCache = t.TempDir()
	s := w.Status("//commits:all")
	// Not an error: a build fetches it. The target is stale, saying why.
	if st := s[ruletest.Label("//commits:ref")]; st.State != "stale" || len(st.Stale) != 1 || !strings.Contains(st.Stale[0].Reason, "has not been fetched") {
		t.Errorf("status of a ref with no mirror: %+v", st)
	}
	if st := s[ruletest.Label("//commits:sha")]; st.State != "cached" {
		t.Errorf("status of a built full SHA: %+v", st)
	}
	if entries, _ := os.ReadDir(w.UserCache); len(entries) != 0 {
		t.Errorf("status wrote into the user cache: %v", entries)
	}
}

// The facts are the same bytes whoever builds them: another workspace location, another user
// cache, another store.
func TestFactsDigestIsMachineIndependent(t *testing.T) {
	base := t.TempDir()
	_, shas := upstream(t, base)
	files := func() map[string]string {
		return map[string]string{
			"repos/BUILD.hcl":   reposBuild,
			"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = \"//repos:up\"\n  head = \"%s\"\n}\n", shas[1]),
		}
	}
	a := newWorkspace(t, base, files())
	other := t.TempDir()
	if err := os.Symlink(filepath.Join(base, "upstream"), filepath.Join(other, "upstream")); err != nil {
		t.Fatal(err)
	}
	b := newWorkspace(t, other, files())
	da := a.Build("//commits:c").Targets[ruletest.Label("//commits:c")]
	db := b.Build("//commits:c").Targets[ruletest.Label("//commits:c")]
	if da.Key != db.Key || da.Outcome.Outputs["facts"] != db.Outcome.Outputs["facts"] {
		t.Errorf("key %s vs %s, facts %s vs %s", da.Key, db.Key, da.Outcome.Outputs["facts"], db.Outcome.Outputs["facts"])
	}
}

func TestCheck(t *testing.T) {
	base := t.TempDir()
	w := newWorkspace(t, base, map[string]string{
		"repos/BUILD.hcl": reposBuild,
		"commits/BUILD.hcl": `
commit "dash" {
  repo = "//repos:up"
  head = "--upload-pack=evil"
}
commit "same" {
  repo = "//repos:up"
  head = "98f47f2a4032f8c395268de80858c64ffcfc60fa"
  base = "98F47F2A4032F8C395268DE80858C64FFCFC60FA"
}
`,
	})
	var text string
	for _, d := range w.Diagnostics() {
		text += d.Summary + ": " + d.Detail + "\n"
	}
	for _, want := range []string{"starts with a dash", "Base is head"} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics lack %q: %s", want, text)
		}
	}
}
