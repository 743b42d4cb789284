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
	e := newEnv(t, base, map[string]string{
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
	first := e.build("//commits:all")
	if first.summary.Failed > 0 {
		t.Fatalf("first build failed: %+v", first.summary.Failures)
	}
	if first.summary.Executed != 5 { // four commits and the repo
		t.Errorf("first build executed %d actions, want 5", first.summary.Executed)
	}
	for _, c := range []struct{ label, head, base, headRef, baseRef string }{
		{"//commits:full", shas[1], shas[0], "", ""},
		{"//commits:prefix", shas[2], shas[1], shas[2][:9], ""},
		{"//commits:ref", shas[2], shas[1], "main", ""},
		{"//commits:tagged", shas[1], shas[0], "v1", ""},
	} {
		f := e.facts(first, c.label)
		if f.Head != c.head || f.Base != c.base || f.HeadRef != c.headRef || f.BaseRef != c.baseRef {
			t.Errorf("%s: head %s base %s refs %q %q; want %s %s %q %q", c.label, f.Head, f.Base, f.HeadRef, f.BaseRef,
				c.head, c.base, c.headRef, c.baseRef)
		}
		if f.Repo != "//repos:up" || f.RepoURL != "../../upstream" {
			t.Errorf("%s: repo %s %s", c.label, f.Repo, f.RepoURL)
		}
	}
	if f := e.facts(first, "//commits:full"); f.Subject != "Add mean" || len(f.Files) != 1 || f.Files[0].Added != 3 {
		t.Errorf("facts of //commits:full: subject %q, files %+v", f.Subject, f.Files)
	}
	desc := first.outcomes[label("//commits:full")].Desc
	for _, line := range []string{"repo //repos:up\n", "repo.url ../../upstream\n", "head " + shas[1] + "\n", "base first-parent\n"} {
		if !strings.Contains(desc, line) {
			t.Errorf("the key description lacks %q:\n%s", line, desc)
		}
	}
	if desc := first.outcomes[label("//commits:ref")].Desc; !strings.Contains(desc, "head.ref main\n") {
		t.Errorf("the key description of a ref lacks its name:\n%s", desc)
	}

	second := e.build("//commits:all")
	if second.summary.Executed != 0 || second.summary.Failed != 0 || second.summary.Cached != 5 {
		t.Errorf("second build: %+v, want everything cached", second.summary.Counts)
	}
	for l, o := range first.outcomes {
		if got := second.outcomes[l].Outcome.Outputs; got["facts"] != o.Outcome.Outputs["facts"] {
			t.Errorf("%s: output digest changed between builds", l)
		}
	}
}

// A build whose commits are all full SHAs and cached needs no git: here git is not even on
// PATH for the second build.
func TestCachedBuildRunsNoGit(t *testing.T) {
	base := t.TempDir()
	_, shas := upstream(t, base)
	e := newEnv(t, base, map[string]string{
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
	if r := e.build("//commits:all"); r.summary.Failed > 0 || r.summary.Executed != 3 {
		t.Fatalf("first build: %+v", r.summary)
	}
	t.Setenv("PATH", "")
	r := e.build("//commits:all")
	if r.summary.Executed != 0 || r.summary.Failed != 0 {
		t.Errorf("a cached build with git missing: %+v", r.summary)
	}
	if s := e.status("//commits:all"); s.states[label("//commits:a")].State != "cached" {
		t.Errorf("status = %+v", s.states[label("//commits:a")])
	}
}

// A ref that moved upstream makes its commit stale at the next build (not in status, which
// never fetches), and the changed key line says from where to where.
func TestRefMoved(t *testing.T) {
	base := t.TempDir()
	r, shas := upstream(t, base)
	e := newEnv(t, base, map[string]string{
		"repos/BUILD.hcl":   reposBuild,
		"commits/BUILD.hcl": "commit \"tip\" {\n  repo = \"//repos:up\"\n  head = \"main\"\n}\n",
	})
	first := e.build("//commits:tip")
	moved := r.Commit("Faster median", map[string]string{"stats.py": "import statistics\nmedian = statistics.median_low\n"})

	if s := e.status("//commits:tip"); s.states[label("//commits:tip")].State != "cached" {
		t.Errorf("status fetched: %+v", s.states[label("//commits:tip")])
	}
	second := e.build("//commits:tip")
	if second.summary.ByMnemonic["commit"].Executed != 1 {
		t.Fatalf("after main moved the commit did not run again: %+v", second.summary.Counts)
	}
	if f := e.facts(second, "//commits:tip"); f.Head != moved || f.Base != shas[2] || f.Subject != "Faster median" {
		t.Errorf("facts after the move: head %s base %s %q", f.Head, f.Base, f.Subject)
	}
	changes := engine.DiffDescriptions(first.outcomes[label("//commits:tip")].Desc, second.outcomes[label("//commits:tip")].Desc)
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
	e := newEnv(t, base, map[string]string{
		"repos/BUILD.hcl": reposBuild + `
repo "gone" {
  url = "../no-such-repo"
}
`,
		"commits/BUILD.hcl": fmt.Sprintf(`
commit "unknown" {
  repo = "//repos:up"
  head = "1234567890abcdef1234567890abcdef12345678"
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
	})
	want := map[string]struct {
		class  string
		cached bool // is the failure cached for the next build
	}{
		"//commits:unknown":     {gitrepo.ClassUnknownCommit, true},
		"//commits:root":        {gitrepo.ClassRootCommit, true},
		"//commits:ambiguous":   {gitrepo.ClassAmbiguousCommit, false},
		"//commits:unreachable": {gitrepo.ClassUnreachable, false},
		"//commits:nobranch":    {gitrepo.ClassUnknownCommit, false},
	}
	first := e.build("//commits:all")
	for l, w := range want {
		o := first.outcomes[label(l)]
		if o.Outcome == nil || o.Outcome.Status != engine.StatusFailed || o.Outcome.Class != w.class {
			t.Errorf("%s: %+v, want failed with class %s", l, o.Outcome, w.class)
		}
	}
	if msg := first.outcomes[label("//commits:unknown")].Outcome.Message; !strings.Contains(msg, "1234567890ab is not in repository ../../upstream (fetched just now)") {
		t.Errorf("unknown commit message: %q", msg)
	}
	if msg := first.outcomes[label("//commits:unreachable")].Outcome.Message; !strings.Contains(msg, "does not exist") {
		t.Errorf("unreachable message: %q", msg)
	}
	second := e.build("//commits:all")
	for l, w := range want {
		o := second.outcomes[label(l)]
		if o.Outcome == nil || o.Outcome.Cached != w.cached || o.Outcome.Class != w.class {
			t.Errorf("%s in the second build: cached %v class %q, want cached %v class %s", l, o.Outcome.Cached, o.Outcome.Class, w.cached, w.class)
		}
	}
	// Creating the missing repository is enough to fix its commit: nothing was cached.
	if err := os.Rename(filepath.Join(base, "upstream"), filepath.Join(base, "ws", "no-such-repo")); err != nil {
		t.Fatal(err)
	}
	if third := e.build("//commits:unreachable"); third.outcomes[label("//commits:unreachable")].Outcome.Status != engine.StatusOK {
		t.Errorf("after the repository appeared: %+v", third.outcomes[label("//commits:unreachable")].Outcome)
	}
}

// Status never clones or fetches: with refs and no mirror it reports an error and leaves the
// user cache empty.
func TestStatusNeverFetches(t *testing.T) {
	base := t.TempDir()
	_, shas := upstream(t, base)
	e := newEnv(t, base, map[string]string{
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
	if r := e.build("//commits:sha"); r.summary.Failed > 0 {
		t.Fatalf("build: %+v", r.summary.Failures)
	}
	// Same store, but a user cache without the mirror (another machine sharing the store).
	e.userCache = t.TempDir()
	s := e.status("//commits:all")
	if st := s.states[label("//commits:ref")]; st.State != "error" || !strings.Contains(st.Message, "has not been fetched") {
		t.Errorf("status of a ref with no mirror: %+v", st)
	}
	if st := s.states[label("//commits:sha")]; st.State != "cached" {
		t.Errorf("status of a built full SHA: %+v", st)
	}
	if entries, _ := os.ReadDir(e.userCache); len(entries) != 0 {
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
	a := newEnv(t, base, files())
	other := t.TempDir()
	if err := os.Symlink(filepath.Join(base, "upstream"), filepath.Join(other, "upstream")); err != nil {
		t.Fatal(err)
	}
	b := newEnv(t, other, files())
	da := a.build("//commits:c").outcomes[label("//commits:c")]
	db := b.build("//commits:c").outcomes[label("//commits:c")]
	if da.Key != db.Key || da.Outcome.Outputs["facts"] != db.Outcome.Outputs["facts"] {
		t.Errorf("key %s vs %s, facts %s vs %s", da.Key, db.Key, da.Outcome.Outputs["facts"], db.Outcome.Outputs["facts"])
	}
}

func TestCheck(t *testing.T) {
	base := t.TempDir()
	e := newEnv(t, base, map[string]string{
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
	_, diags := engine.Load(e.root, engine.LoadOptions{Kinds: e.kinds})
	var text string
	for _, d := range diags {
		text += d.Summary + ": " + d.Detail + "\n"
	}
	for _, want := range []string{"starts with a dash", "Base is head"} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics lack %q: %s", want, text)
		}
	}
}
