package gitrepo

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
)

// history makes a repository whose last commit adds, modifies, deletes, renames (with an
// edit) and adds a binary file, and returns the repository and that commit's parent and SHA.
func history(t *testing.T) (r *gittest.Repo, base, head string) {
	r = gittest.New(t)
	long := strings.Repeat("a steady line of text that keeps its place\n", 20)
	base = r.Commit("Initial import", map[string]string{
		"src/stats.py": "def mean(xs):\n    return sum(xs) / len(xs)\n",
		"README.md":    "tinystats\n",
		"old.txt":      "to be removed\n",
		"moved.py":     long,
	})
	r.Move("moved.py", "pkg/moved.py")
	head = r.Commit("Speed up mean\n\nUse a running total instead of sum() of a copy.\nSecond line.\n", map[string]string{
		"src/stats.py": "def mean(xs):\n    total = 0.0\n    for x in xs:\n        total += x\n    return total / len(xs)\n",
		"old.txt":      gittest.Delete,
		"new.txt":      "one\ntwo\n",
		"pkg/moved.py": long + "one more line\n",
		"logo.bin":     "\x00\x01\x02binary\x00",
	})
	return r, base, head
}

func TestFacts(t *testing.T) {
	r, base, head := history(t)
	s := sessionFor(t, r.Dir, true)
	f, err := s.Facts(context.Background(), head, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.Head != head || f.Base != base || f.Short != head[:12] {
		t.Errorf("head/base/short = %s %s %s, want %s %s %s", f.Head, f.Base, f.Short, head, base, head[:12])
	}
	if want := r.Git("rev-parse", head+"^{tree}"); f.HeadTree != want {
		t.Errorf("head tree = %s, want %s", f.HeadTree, want)
	}
	if want := r.Git("rev-parse", base+"^{tree}"); f.BaseTree != want {
		t.Errorf("base tree = %s, want %s", f.BaseTree, want)
	}
	if f.Subject != "Speed up mean" || f.Message != "Speed up mean\n\nUse a running total instead of sum() of a copy.\nSecond line." {
		t.Errorf("subject %q, message %q", f.Subject, f.Message)
	}
	if want := r.Git("log", "-1", "--format=%aI", head); f.Date != want || f.Author != "Ada Lovelace" || f.AuthorEmail != "ada@example.com" {
		t.Errorf("author %q <%s> at %s, want Ada Lovelace <ada@example.com> at %s", f.Author, f.AuthorEmail, f.Date, want)
	}
	want := []artifact.FileChange{
		{Path: "logo.bin", Change: "added"},
		{Path: "new.txt", Change: "added", Added: 2},
		{Path: "old.txt", Change: "deleted", Removed: 1},
		{Path: "pkg/moved.py", OldPath: "moved.py", Change: "renamed", Added: 1},
		{Path: "src/stats.py", Change: "modified", Added: 4, Removed: 1},
	}
	if !reflect.DeepEqual(f.Files, want) {
		t.Errorf("files:\n got %+v\nwant %+v", f.Files, want)
	}
	for _, line := range []string{
		" logo.bin                 | Bin\n",
		" moved.py => pkg/moved.py | 1 (+1 -0)\n",
		" src/stats.py             | 5 (+4 -1)\n",
		" 5 files changed, 7 insertions(+), 2 deletions(-)\n",
	} {
		if !strings.Contains(f.Diffstat, line) {
			t.Errorf("the diffstat lacks %q:\n%s", line, f.Diffstat)
		}
	}
	for _, part := range []string{
		"diff --git a/src/stats.py b/src/stats.py\n",
		"+        total += x\n",
		"rename from moved.py\nrename to pkg/moved.py\n",
		"index " + r.Git("rev-parse", base+":src/stats.py") + "..", // full index, not abbreviated
	} {
		if !strings.Contains(f.Diff, part) {
			t.Errorf("the diff lacks %q", part)
		}
	}
	// An explicit base gives the same facts as the default first parent.
	g, err := s.Facts(context.Background(), head, base)
	if err != nil || !reflect.DeepEqual(f, g) {
		t.Errorf("facts with base given differ from facts with the default base (err %v)", err)
	}
}

// The facts are an output whose digest must not depend on the machine: a user's git
// configuration, or an extra ref that makes abbreviations longer, changes nothing.
func TestFactsIgnoreUserConfig(t *testing.T) {
	r, _, head := history(t)
	plain := sessionFor(t, r.Dir, true)
	want, err := plain.Facts(context.Background(), head, "")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cfg := filepath.Join(home, ".gitconfig")
	os.WriteFile(cfg, []byte("[diff]\n\trenames = false\n\tnoprefix = true\n\talgorithm = patience\n\tmnemonicPrefix = true\n\tcontext = 0\n[color]\n\tui = always\n[core]\n\tabbrev = 5\n"), 0o644)
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("GIT_CONFIG_GLOBAL", cfg)
	t.Setenv("GIT_DIR", r.Dir) // as inside a git hook: must not redirect our commands
	odd := sessionFor(t, r.Dir, true)
	got, err := odd.Facts(context.Background(), head, "")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Errorf("facts differ under another user's configuration:\n%s\n%s", a, b)
	}
}

func TestFactsRootCommit(t *testing.T) {
	r := gittest.New(t)
	root := r.Commit("root", map[string]string{"a.txt": "1\n"})
	next := r.Commit("next", map[string]string{"a.txt": "2\n"})
	s := sessionFor(t, r.Dir, true)
	_, err := s.Facts(context.Background(), root, "")
	if ClassOf(err) != ClassRootCommit || IsTransient(err) {
		t.Fatalf("facts of a root commit without base: %v, want a cached root_commit", err)
	}
	// With a base it is fine, even a base that comes after it.
	f, err := s.Facts(context.Background(), root, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Files) != 1 || f.Files[0].Added != 1 || f.Files[0].Removed != 1 {
		t.Errorf("files = %+v", f.Files)
	}
}

func TestFactsNotACommit(t *testing.T) {
	r := gittest.New(t)
	c := r.Commit("c", map[string]string{"a.txt": "1\n"})
	tree := r.Git("rev-parse", c+"^{tree}")
	s := sessionFor(t, r.Dir, true)
	if _, err := s.Facts(context.Background(), tree, ""); ClassOf(err) != ClassUnknownCommit || !strings.Contains(err.Error(), "is a tree") {
		t.Errorf("facts of a tree: %v", err)
	}
}

func TestTruncateDiff(t *testing.T) {
	diff := []byte("line one\nline two\nline three\n")
	if got := truncateDiff(diff, 100); got != string(diff) {
		t.Errorf("a short diff changed: %q", got)
	}
	got := truncateDiff(diff, 14)
	if got != "line one\n[isobench: diff truncated: 9 of 29 bytes shown]\n" {
		t.Errorf("truncateDiff = %q", got)
	}
}

func TestParseIdent(t *testing.T) {
	name, email, date, err := parseIdent("Jane <Q> Doe <jane@example.com> 1700000000 -0530")
	if err != nil || name != "Jane <Q> Doe" || email != "jane@example.com" || date != "2023-11-14T16:43:20-05:30" {
		t.Errorf("parseIdent = %q %q %q %v", name, email, date, err)
	}
	for _, bad := range []string{"no email 1 +0000", "A <a@b> notanumber +0000", "A <a@b> 1 0100"} {
		if _, _, _, err := parseIdent(bad); err == nil {
			t.Errorf("parseIdent(%q) accepted it", bad)
		}
	}
}
