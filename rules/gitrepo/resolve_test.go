package gitrepo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isobench/isobench/rules/gitrepo/gittest"
)

func sessionFor(t *testing.T, src string, building bool) *Session {
	t.Helper()
	m := NewMirror(t.TempDir(), src)
	s := m.Session(building)
	t.Cleanup(s.Close)
	return s
}

// A full SHA resolves with no git at all: here there is no mirror, the session may not
// fetch, and git is not even on PATH.
func TestResolveFullSHANeedsNoGit(t *testing.T) {
	t.Setenv("PATH", "")
	s := NewMirror(t.TempDir(), "/nonexistent/repo").Session(false)
	const sha = "98F47F2A4032F8C395268DE80858C64FFCFC60FA"
	got, err := s.Resolve(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	if got != strings.ToLower(sha) {
		t.Errorf("Resolve(%s) = %s, want it lower-cased", sha, got)
	}
	if s.Mirror().Exists() || s.Fetched() {
		t.Error("resolving a full SHA touched the mirror")
	}
}

func TestResolvePrefixRefAndTag(t *testing.T) {
	r := gittest.New(t)
	first := r.Commit("first", map[string]string{"a.txt": "1\n"})
	second := r.Commit("second", map[string]string{"a.txt": "2\n"})
	r.Git("tag", "-a", "-m", "release", "v1", first) // annotated: must peel to the commit
	r.Git("branch", "feature", first)
	s := sessionFor(t, r.Dir, true)
	ctx := context.Background()
	s.Want("main", "v1", first[:7])
	for rev, want := range map[string]string{
		"main": second, "HEAD": second, "v1": first, "feature": first, "main~1": first,
		first[:7]: first, strings.ToUpper(second[:10]): second,
	} {
		got, err := s.Resolve(ctx, rev)
		if err != nil {
			t.Errorf("Resolve(%q): %v", rev, err)
			continue
		}
		if got != want {
			t.Errorf("Resolve(%q) = %s, want %s", rev, got, want)
		}
	}
}

func TestResolveUnknown(t *testing.T) {
	r := gittest.New(t)
	r.Commit("only", map[string]string{"a.txt": "1\n"})
	ctx := context.Background()
	s := sessionFor(t, r.Dir, true)
	for _, rev := range []string{"no-such-branch", "1234abc", "1234567890123456789012345678901234567890"} {
		var err error
		if IsFullSHA(rev) {
			_, err = s.Commit(ctx, rev)
		} else {
			_, err = s.Resolve(ctx, rev)
		}
		if ClassOf(err) != ClassUnknownCommit || IsTransient(err) {
			t.Errorf("%s: got %v (class %q), want a cached unknown_commit", rev, err, ClassOf(err))
			continue
		}
		if !strings.Contains(err.Error(), "(fetched just now)") || !strings.Contains(err.Error(), r.Dir) {
			t.Errorf("%s: the message %q should name the repository and say it was fetched", rev, err)
		}
	}
	if _, err := s.Resolve(ctx, "-rf"); ClassOf(err) != ClassUnknownCommit {
		t.Errorf("a revision starting with a dash gave %v", err)
	}
}

// With thousands of commits, some share their first four digits; such a prefix names
// several commits and the error lists them.
func TestResolveAmbiguousPrefix(t *testing.T) {
	r := gittest.New(t)
	shas := r.FastImport("main", 3000)
	seen := map[string]string{}
	var prefix string
	var pair [2]string
	for _, sha := range shas {
		if other, ok := seen[sha[:4]]; ok {
			prefix, pair = sha[:4], [2]string{other, sha}
			break
		}
		seen[sha[:4]] = sha
	}
	if prefix == "" {
		t.Fatal("3000 commits share no 4-digit prefix; the birthday bound says they almost surely do")
	}
	s := sessionFor(t, r.Dir, true)
	_, err := s.Resolve(context.Background(), prefix)
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassAmbiguousCommit {
		t.Fatalf("Resolve(%s) = %v, want ambiguous_commit", prefix, err)
	}
	for _, sha := range pair {
		if !strings.Contains(e.Msg, Short(sha)) {
			t.Errorf("the message %q does not list candidate %s", e.Msg, Short(sha))
		}
	}
	// Two more digits than the shared ones make it unambiguous again.
	if got, err := s.Resolve(context.Background(), pair[1][:12]); err != nil || got != pair[1] {
		t.Errorf("Resolve(%s) = %s, %v; want %s", pair[1][:12], got, err, pair[1])
	}
}

// A build fetches once before resolving refs, so a ref that moved upstream resolves to its
// new commit; within one build it keeps the answer of that fetch; status never fetches.
func TestRefMovesBetweenBuilds(t *testing.T) {
	r := gittest.New(t)
	old := r.Commit("old", map[string]string{"a.txt": "1\n"})
	cache := t.TempDir()
	ctx := context.Background()
	resolve := func(building bool) string {
		t.Helper()
		s := NewMirror(cache, r.Dir).Session(building)
		defer s.Close()
		sha, err := s.Resolve(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		return sha
	}
	if got := resolve(true); got != old {
		t.Fatalf("first build: main = %s, want %s", got, old)
	}
	build := NewMirror(cache, r.Dir).Session(true)
	defer build.Close()
	if got, _ := build.Resolve(ctx, "main"); got != old {
		t.Fatalf("main = %s, want %s", got, old)
	}
	moved := r.Commit("new", map[string]string{"a.txt": "2\n"})
	if got, _ := build.Resolve(ctx, "main"); got != old {
		t.Errorf("within one build main moved to %s; a build fetches once", got)
	}
	if got := resolve(false); got != old {
		t.Errorf("status saw main at %s without fetching", got)
	}
	if got := resolve(true); got != moved {
		t.Errorf("the next build resolved main to %s, want %s", got, moved)
	}
}

// A status session never clones: without a mirror it says so.
func TestStatusNeverClones(t *testing.T) {
	r := gittest.New(t)
	r.Commit("c", map[string]string{"a.txt": "1\n"})
	s := sessionFor(t, r.Dir, false)
	_, err := s.Resolve(context.Background(), "main")
	if err == nil || !strings.Contains(err.Error(), "has not been fetched") {
		t.Fatalf("Resolve in status without a mirror = %v", err)
	}
	if s.Mirror().Exists() {
		t.Error("status created the mirror")
	}
}

func TestUnreachable(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{
		filepath.Join(t.TempDir(), "missing-checkout"),
		filepath.Join(t.TempDir(), "missing.bundle"),
		"file://" + filepath.Join(t.TempDir(), "nothing-here"),
	} {
		s := sessionFor(t, url, true)
		_, err := s.Resolve(ctx, "main")
		if ClassOf(err) != ClassUnreachable || !IsTransient(err) {
			t.Errorf("%s: got %v, want a transient repo_unreachable", url, err)
		}
		if _, statErr := os.Stat(s.Mirror().Dir); statErr == nil {
			t.Errorf("%s: a failed clone left %s behind", url, s.Mirror().Dir)
		}
	}
	if s := sessionFor(t, filepath.Join(t.TempDir(), "gone.bundle"), true); true {
		_, err := s.Resolve(ctx, "main")
		if err == nil || !strings.Contains(err.Error(), "bundle") {
			t.Errorf("a missing bundle should be called a bundle: %v", err)
		}
	}
}

// Bundles are sources like any other; fetching again reads the bundle as rewritten.
func TestBundleSource(t *testing.T) {
	r := gittest.New(t)
	first := r.Commit("first", map[string]string{"a.txt": "1\n"})
	bundle := r.Bundle(filepath.Join(t.TempDir(), "src.bundle"))
	if !IsBundle(bundle) {
		t.Fatal("IsBundle is false for a bundle")
	}
	renamed := filepath.Join(t.TempDir(), "src.pack")
	if err := os.Rename(bundle, renamed); err != nil {
		t.Fatal(err)
	}
	if !IsBundle(renamed) {
		t.Error("IsBundle does not recognise a bundle by its signature")
	}
	if IsBundle(r.Dir) {
		t.Error("IsBundle is true for a checkout")
	}
	cache, ctx := t.TempDir(), context.Background()
	s := NewMirror(cache, renamed).Session(true)
	if got, err := s.Resolve(ctx, "main"); err != nil || got != first {
		t.Fatalf("Resolve(main) from a bundle = %s, %v; want %s", got, err, first)
	}
	s.Close()
	second := r.Commit("second", map[string]string{"a.txt": "2\n"})
	os.Remove(renamed)
	r.Bundle(renamed)
	s = NewMirror(cache, renamed).Session(true)
	defer s.Close()
	if got, err := s.Resolve(ctx, "main"); err != nil || got != second {
		t.Fatalf("after the bundle was rewritten, main = %s, %v; want %s", got, err, second)
	}
}

func TestLocate(t *testing.T) {
	for _, c := range []struct{ pkg, url, want string }{
		{"repos", "../src", "/ws/src"},
		{"repos", "tiny.bundle", "/ws/repos/tiny.bundle"},
		{"", "/abs/repo", "/abs/repo"},
		{"repos", "https://github.com/vllm-project/vllm.git", "https://github.com/vllm-project/vllm.git"},
		{"repos", "git@github.com:vllm-project/vllm.git", "git@github.com:vllm-project/vllm.git"},
		{"repos", "file:///srv/git/x.git", "file:///srv/git/x.git"},
		{"repos", "./a:b", "/ws/repos/a:b"},
	} {
		if got := Locate("/ws", c.pkg, c.url); got != c.want {
			t.Errorf("Locate(%q, %q) = %q, want %q", c.pkg, c.url, got, c.want)
		}
	}
	a, b := NewMirror("/c", "https://github.com/vllm-project/vllm.git"), NewMirror("/c", "https://github.com/fork/vllm.git")
	if a.Dir == b.Dir || !strings.HasPrefix(filepath.Base(a.Dir), "vllm-") || !strings.HasSuffix(a.Dir, ".git") {
		t.Errorf("mirror names %s and %s should differ and read vllm-<hash>.git", a.Dir, b.Dir)
	}
}
