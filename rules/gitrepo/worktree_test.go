package gitrepo

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
)

func TestWorktreeSharedAndReused(t *testing.T) {
	r := gittest.New(t)
	first := r.Commit("first", map[string]string{"src/a.py": "x = 1\n"})
	r.Commit("second", map[string]string{"src/a.py": "x = 2\n"})
	userCache, ctx := t.TempDir(), context.Background()

	// Eight callers at once get the same directory, checked out once, at the right commit.
	var wg sync.WaitGroup
	dirs := make([]string, 8)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dir, release, err := NewMirror(userCache, r.Dir).Worktree(ctx, first)
			if err != nil {
				t.Error(err)
				return
			}
			defer release()
			data, err := os.ReadFile(filepath.Join(dir, "src", "a.py"))
			if err != nil || string(data) != "x = 1\n" {
				t.Errorf("the worktree holds %q (%v), want the first commit's file", data, err)
			}
			dirs[i] = dir
		}()
	}
	wg.Wait()
	for _, d := range dirs {
		if d != filepath.Join(userCache, "worktrees", first) {
			t.Errorf("worktree at %s, want %s", d, filepath.Join(userCache, "worktrees", first))
		}
	}

	// A holder's shared lock keeps a cleaner (exclusive) out until release.
	m := NewMirror(userCache, r.Dir)
	dir, release, err := m.Worktree(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	if l, err := cache.LockFile(short, dir+".lock", syscall.LOCK_EX); err == nil {
		l.Unlock()
		t.Error("a cleaner got the worktree's lock while it was in use")
	}
	release()
	release() // twice is harmless

	// A worktree removed behind isobench's back (or half made) is checked out again.
	os.RemoveAll(dir)
	dir, release, err = m.Worktree(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := os.Stat(filepath.Join(dir, "src", "a.py")); err != nil {
		t.Errorf("the worktree was not made again: %v", err)
	}
}

// A rule that got commit facts from the cache finds the mirror from them, even on a machine
// that never fetched: Worktree clones and fetches what it needs.
func TestWorktreeFromFactsOnAFreshMachine(t *testing.T) {
	ws := t.TempDir()
	r := gittest.NewAt(t, filepath.Join(ws, "upstream"))
	sha := r.Commit("c", map[string]string{"f.txt": "hello\n"})
	facts := &artifact.CommitFacts{Repo: "//repos:tiny", RepoURL: "../upstream", Head: sha}
	os.MkdirAll(filepath.Join(ws, "repos"), 0o755)
	m, err := ForFacts(t.TempDir(), ws, facts)
	if err != nil {
		t.Fatal(err)
	}
	if m.URL != filepath.Join(ws, "upstream") {
		t.Errorf("ForFacts located the repository at %s", m.URL)
	}
	dir, release, err := m.Worktree(context.Background(), facts.SHA(artifact.Head))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if data, _ := os.ReadFile(filepath.Join(dir, "f.txt")); string(data) != "hello\n" {
		t.Errorf("f.txt = %q", data)
	}
}

func TestArchive(t *testing.T) {
	r := gittest.New(t)
	sha := r.Commit("c", map[string]string{"pkg/mod.py": "print('hi')\n", "README": "r\n"})
	dir := filepath.Join(t.TempDir(), "copy")
	m := NewMirror(t.TempDir(), r.Dir)
	if err := m.Archive(context.Background(), sha, dir); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "pkg", "mod.py")); string(data) != "print('hi')\n" {
		t.Errorf("pkg/mod.py = %q", data)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		t.Error("the archive holds a .git")
	}
	err := m.Archive(context.Background(), "1111111111111111111111111111111111111111", t.TempDir())
	if ClassOf(err) != ClassUnknownCommit {
		t.Errorf("archive of an unknown commit: %v", err)
	}
}
