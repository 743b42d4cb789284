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
	"github.com/isobench/isobench/rules/gitrepo/gittest"
)

// Many goroutines (standing for many processes: flock excludes open files, not processes)
// ensuring and fetching one mirror at once all succeed, and the mirror ends up complete.
func TestConcurrentEnsureAndFetch(t *testing.T) {
	r := gittest.New(t)
	r.FastImport("main", 200)
	cache := t.TempDir()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); _, err := NewMirror(cache, r.Dir).Ensure(ctx); errs <- err }()
		go func() { defer wg.Done(); _, err := NewMirror(cache, r.Dir).Fetch(ctx); errs <- err }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	m := NewMirror(cache, r.Dir)
	if ok, err := m.HasCommit(ctx, r.Git("rev-parse", "main")); !ok || err != nil {
		t.Errorf("the mirror lacks main after concurrent fetches (%v)", err)
	}
	leftovers, _ := filepath.Glob(m.Dir + ".tmp-*")
	if len(leftovers) > 0 {
		t.Errorf("temporary clones left behind: %v", leftovers)
	}
}

// A fetch waits for the lock held by another fetch, and skips its own fetch when the other
// one began after it was asked for.
func TestFetchWaitsForLockAndCoalesces(t *testing.T) {
	r := gittest.New(t)
	r.Commit("c", map[string]string{"a.txt": "1\n"})
	m := NewMirror(t.TempDir(), r.Dir)
	ctx := context.Background()
	if _, err := m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	held, err := cache.LockFile(ctx, m.lockPath(), syscall.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	go func() {
		did, err := m.Fetch(ctx)
		if err != nil {
			t.Error(err)
		}
		done <- did
	}()
	select {
	case <-done:
		t.Fatal("Fetch did not wait for the lock")
	case <-time.After(300 * time.Millisecond):
	}
	// Another process fetches while we hold the lock, stamping a time after the request.
	if err := m.stamp(time.Now()); err != nil {
		t.Fatal(err)
	}
	held.Unlock()
	if did := <-done; did {
		t.Error("Fetch fetched again although a fetch began after it was asked for")
	}
	if did, err := m.Fetch(ctx); err != nil || !did {
		t.Errorf("a later Fetch did not fetch (%v)", err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	held, _ = cache.LockFile(ctx, m.lockPath(), syscall.LOCK_EX)
	defer held.Unlock()
	if _, err := m.Fetch(short); err == nil {
		t.Error("Fetch ignored its context while waiting for the lock")
	}
}

// isobench never writes into the user's checkout: after clones, fetches, resolutions,
// worktrees and archives, its refs, config, index and worktree list are as they were.
func TestUserCheckoutUntouched(t *testing.T) {
	r := gittest.New(t)
	r.Commit("one", map[string]string{"a.txt": "1\n"})
	head := r.Commit("two", map[string]string{"a.txt": "2\n"})
	os.WriteFile(filepath.Join(r.Dir, "dirty.txt"), []byte("uncommitted\n"), 0o644)
	snapshot := func() string {
		return r.Git("for-each-ref") + "\n" + r.Git("status", "--porcelain") + "\n" + r.Git("worktree", "list", "--porcelain") +
			"\n" + r.Git("config", "--local", "--list")
	}
	before := snapshot()
	cache, ctx := t.TempDir(), context.Background()
	m := NewMirror(cache, r.Dir)
	s := m.Session(true)
	defer s.Close()
	if _, err := s.Resolve(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Facts(ctx, head, ""); err != nil {
		t.Fatal(err)
	}
	_, release, err := m.Worktree(ctx, head)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if err := m.Archive(ctx, head, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(); after != before {
		t.Errorf("the user's checkout changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
