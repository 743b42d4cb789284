package ruletest

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
)

// lockWait is how long OpenStore waits for a lock that this very process released. The store's
// lock is a flock released by closing its file, and a child forked meanwhile by a parallel
// test (pip, python3 for a syntax check) holds a copy of that file until it execs; so a reopen
// right after a close may find the lock held for a few milliseconds.
const lockWait = 5 * time.Second

// OpenStore opens the workspace's store, read-only or for writing; the caller closes it.
func (w *Workspace) OpenStore(readOnly bool) *cache.Store {
	w.t.Helper()
	deadline := time.Now().Add(lockWait)
	for {
		store, err := cache.Open(w.CacheDir, cache.Options{ReadOnly: readOnly, Owner: "test " + w.t.Name()})
		var locked *cache.LockedError
		if errors.As(err, &locked) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil {
			w.t.Fatal(err)
		}
		return store
	}
}

// Output reads a named output of a finished action from the store. An action that did not
// finish, or has no such output, ends the test.
func (w *Workspace) Output(v *engine.Visit, name string) []byte {
	w.t.Helper()
	if v == nil || v.Outcome == nil {
		w.t.Fatalf("no output %q: %s", name, Describe(v))
	}
	d, ok := v.Outcome.Outputs[name]
	if !ok {
		w.t.Fatalf("%s has no output %q (%s)", v.Action.ID, name, Describe(v))
	}
	store := w.OpenStore(true)
	defer store.Close()
	data, err := store.Get(d)
	if err != nil {
		w.t.Fatal(err)
	}
	return data
}

// DecodeOutput decodes a JSON output of a finished action into out.
func (w *Workspace) DecodeOutput(v *engine.Visit, name string, out any) {
	w.t.Helper()
	if err := json.Unmarshal(w.Output(v, name), out); err != nil {
		w.t.Fatalf("output %q of %s: %v", name, v.Action.ID, err)
	}
}

// Stored reports whether the store holds a result under the visit's key.
func (w *Workspace) Stored(v *engine.Visit) bool {
	w.t.Helper()
	store := w.OpenStore(true)
	defer store.Close()
	_, ok, err := store.GetEntry(v.Key)
	if err != nil {
		w.t.Fatal(err)
	}
	return ok
}
