package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestDirStoreBuildsOnceForConcurrentCallers(t *testing.T) {
	d := &DirStore{Root: t.TempDir()}
	var builds atomic.Int32
	var wg sync.WaitGroup
	paths := make([]string, 8)
	for i := range paths {
		wg.Go(func() {
			dir, build, done, err := d.Acquire(context.Background(), "venv-abc")
			if err != nil {
				t.Error(err)
				return
			}
			paths[i] = dir
			if build {
				builds.Add(1)
				time.Sleep(50 * time.Millisecond) // long enough for the others to wait on the lock
				if err := os.WriteFile(filepath.Join(dir, "pyvenv.cfg"), []byte("home = "+dir), 0o644); err != nil {
					t.Error(err)
				}
			} else if !exists(filepath.Join(dir, "pyvenv.cfg")) {
				t.Error("handed out a complete directory without its content")
			}
			if err := done(true); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d times, want once", n)
	}
	want := filepath.Join(d.Root, "venv-abc")
	for _, p := range paths {
		if p != want {
			t.Errorf("Acquire returned %q, want the final path %q", p, want)
		}
	}
}

func TestDirStoreRebuildsIncomplete(t *testing.T) {
	d := &DirStore{Root: t.TempDir()}
	// A build that died: the directory exists, with content but no marker.
	dead := filepath.Join(d.Root, "venv-x")
	if err := os.MkdirAll(filepath.Join(dead, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dead, "lib", "half-installed.py"), []byte("#"), 0o644)

	dir, build, done, err := d.Acquire(context.Background(), "venv-x")
	if err != nil {
		t.Fatal(err)
	}
	if !build || dir != dead {
		t.Fatalf("Acquire = %q, build %v; want a rebuild at %q", dir, build, dead)
	}
	if exists(filepath.Join(dir, "lib", "half-installed.py")) {
		t.Error("the dead build's files were not removed")
	}
	if err := done(true); err != nil {
		t.Fatal(err)
	}
	_, build, done, err = d.Acquire(context.Background(), "venv-x")
	if err != nil || build {
		t.Fatalf("second Acquire: build %v, %v; want complete", build, err)
	}
	done(true)
}

func TestDirStoreFailedBuildLeavesNothing(t *testing.T) {
	d := &DirStore{Root: t.TempDir()}
	dir, _, done, err := d.Acquire(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "partial"), nil, 0o644)
	if err := done(false); err != nil {
		t.Fatal(err)
	}
	if exists(dir) {
		t.Error("a failed build left its directory")
	}
	if err := done(true); err != nil {
		t.Errorf("second done: %v", err)
	}
	if exists(dir) {
		t.Error("a second done acted")
	}
}

func TestDirStoreWaitEndsWithContext(t *testing.T) {
	d := &DirStore{Root: t.TempDir()}
	_, _, done, err := d.Acquire(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer done(false)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, _, _, err := d.Acquire(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Acquire while another builds = %v, want the deadline", err)
	}
}

func TestDirStoreListTouchRemove(t *testing.T) {
	d := &DirStore{Root: t.TempDir()}
	for _, k := range []string{"a", "b"} {
		dir, _, done, err := d.Acquire(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "f"), make([]byte, 10000), 0o644)
		done(true)
	}
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(filepath.Join(d.Root, "a", completeMarker), old, old)
	if err := d.Touch("b"); err != nil {
		t.Fatal(err)
	}
	if err := d.Touch("none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Touch of a missing key: %v, want ErrNotFound", err)
	}

	infos, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].Key != "a" || !infos[0].Complete || infos[0].Bytes < 10000 {
		t.Fatalf("List = %+v", infos)
	}
	if !infos[0].LastUsed.Before(time.Now().Add(-47*time.Hour)) || infos[1].LastUsed.Before(time.Now().Add(-time.Minute)) {
		t.Errorf("LastUsed: a %v, b %v", infos[0].LastUsed, infos[1].LastUsed)
	}

	// b is in use: Remove refuses rather than pulling it from under its user.
	_, _, done, err := d.Acquire(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Remove("b"); !errors.Is(err, ErrBusy) {
		t.Errorf("Remove of a directory in use: %v, want ErrBusy", err)
	}
	done(true)
	for _, k := range []string{"a", "b"} {
		if err := d.Remove(k); err != nil {
			t.Fatal(err)
		}
	}
	if infos, _ := d.List(); len(infos) != 0 {
		t.Errorf("List after Remove = %+v", infos)
	}
}

func TestDirStoreRefusesPathKeys(t *testing.T) {
	d := &DirStore{Root: t.TempDir()}
	for _, k := range []string{"", "..", ".locks", "a/b", "../x"} {
		if _, _, _, err := d.Acquire(context.Background(), k); err == nil {
			t.Errorf("Acquire(%q) succeeded", k)
		}
	}
}
