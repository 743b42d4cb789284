package environment

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
)

// fakeEnv puts a complete directory of size bytes into the store, last used at when.
func fakeEnv(t *testing.T, store *cache.DirStore, key string, size int, when time.Time) {
	t.Helper()
	dir, build, done, err := store.Acquire(context.Background(), key)
	if err != nil || !build {
		t.Fatalf("acquire %s: build %v, %v", key, build, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "payload"), make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := done(true); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, completeMarker), when, when); err != nil {
		t.Fatal(err)
	}
}

func keysOf(infos []cache.DirInfo) []string {
	var keys []string
	for _, i := range infos {
		keys = append(keys, i.Key)
	}
	return keys
}

func TestGC(t *testing.T) {
	t.Parallel()
	userCache := t.TempDir()
	store := envStore(userCache)
	now := time.Now()
	day := 24 * time.Hour
	fakeEnv(t, store, "py3-a", 64<<10, now.Add(-10*day)) // oldest, used by a workspace's latest build
	fakeEnv(t, store, "py3-b", 64<<10, now.Add(-5*day))  // old; its workspace is gone
	fakeEnv(t, store, "py3-c", 64<<10, now.Add(-2*time.Hour))
	fakeEnv(t, store, "py3-d", 64<<10, now)
	// What a build killed half-way leaves: a directory without the marker.
	if err := os.MkdirAll(filepath.Join(store.Root, "py3-dead", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeUse(userCache, "ws1-123", usedRecord{Workspace: t.TempDir(), Keys: []string{"py3-a"}}); err != nil {
		t.Fatal(err)
	}
	if err := writeUse(userCache, "ws2-456", usedRecord{Workspace: filepath.Join(t.TempDir(), "gone"), Keys: []string{"py3-b"}}); err != nil {
		t.Fatal(err)
	}

	dry, err := gc(userCache, gcOptions{OlderThan: day, DryRun: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(dry.Removed); !slices.Equal(got, []string{"py3-dead", "py3-b"}) {
		t.Fatalf("dry run would remove %v, want the dead build and the old unprotected one", got)
	}
	if infos, _ := store.List(); len(infos) != 5 {
		t.Fatalf("a dry run removed something: %v", keysOf(infos))
	}

	rep, err := gc(userCache, gcOptions{OlderThan: day, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(rep.Removed); !slices.Equal(got, []string{"py3-dead", "py3-b"}) || rep.BytesFreed < 64<<10 {
		t.Fatalf("removed %v (%d bytes)", got, rep.BytesFreed)
	}
	if infos, _ := store.List(); !slices.Equal(keysOf(infos), []string{"py3-a", "py3-c", "py3-d"}) {
		t.Fatalf("left %v", keysOf(infos))
	}

	// A budget removes the least recently used first; what is kept or in use stays.
	_, _, release, err := store.Acquire(context.Background(), "py3-c") // a build is using it
	if err != nil {
		t.Fatal(err)
	}
	rep, err = gc(userCache, gcOptions{MaxBytes: 1, Now: now})
	release(true)
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(rep.Removed); !slices.Equal(got, []string{"py3-d"}) || !slices.Equal(rep.Busy, []string{"py3-c"}) {
		t.Fatalf("over budget: removed %v, busy %v; want d removed, c busy, a protected", got, rep.Busy)
	}
	rep, err = gc(userCache, gcOptions{MaxBytes: 1, Keep: map[string]bool{"py3-c": true}, Now: now})
	if err != nil || len(rep.Removed) != 0 {
		t.Fatalf("kept environments were removed: %v %v", keysOf(rep.Removed), err)
	}
}

// The kind's abilities report the store as the command prints it.
func TestStoreOwner(t *testing.T) {
	t.Parallel()
	userCache := t.TempDir()
	store := envStore(userCache)
	now := time.Now()
	if u, err := (Kind{}).StoreUsage(userCache); err != nil || u.Items != 0 {
		t.Fatalf("an empty store: %+v, %v", u, err)
	}
	fakeEnv(t, store, "py3-old", 64<<10, now.Add(-48*time.Hour))
	fakeEnv(t, store, "py3-new", 64<<10, now)
	u, err := (Kind{}).StoreUsage(userCache)
	if err != nil || u.Name != "environments" || u.Root != store.Root || u.Items != 2 || u.Bytes < 128<<10 {
		t.Fatalf("usage %+v, %v", u, err)
	}
	rep, err := (Kind{}).CollectGarbage(userCache, engine.StoreGCOptions{OlderThan: 24 * time.Hour, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Name != "environments" || rep.Item != "environment" || len(rep.Removed) != 1 || rep.Removed[0].Key != "py3-old" ||
		rep.Removed[0].Bytes != rep.BytesFreed || rep.BytesLeft != u.Bytes-rep.BytesFreed || rep.Busy != 0 {
		t.Fatalf("dry run: %+v", rep)
	}
	if infos, _ := store.List(); len(infos) != 2 {
		t.Fatalf("a dry run removed something: %v", keysOf(infos))
	}
}
