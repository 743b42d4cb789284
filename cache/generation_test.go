package cache

import (
	"testing"
	"time"
)

// TestGenerationChangesWhenSomethingGoes walks a store through every write and checks that
// the generation moves exactly when an entry or manifest is replaced or removed, and never
// for a new key: a record of an earlier build may rely on what is still there.
func TestGenerationChangesWhenSomethingGoes(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	gen := func() string {
		t.Helper()
		g, err := s.Generation()
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	last := gen()
	if last == "" {
		t.Fatal("a new store has no generation")
	}
	step := func(what string, wantChange bool, do func() error) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		g := gen()
		if changed := g != last; changed != wantChange {
			t.Errorf("%s: generation changed = %v, want %v", what, changed, wantChange)
		}
		last = g
	}
	put := func(name, msg string) func() error {
		return func() error { return s.PutEntry(&Entry{Key: key(name), Status: "ok", Message: msg}) }
	}
	step("a new entry", false, put("a", ""))
	step("another new entry", false, put("b", ""))
	step("an entry replaced", true, put("a", "again"))
	step("new manifests", false, func() error { return s.PutManifests(map[string][]byte{"m1": []byte("1"), "m2": []byte("2")}) })
	step("the same manifests", false, func() error { return s.PutManifests(map[string][]byte{"m1": []byte("1")}) })
	step("a manifest changed", true, func() error { return s.PutManifests(map[string][]byte{"m1": []byte("one")}) })
	step("a manifest deleted", true, func() error { return s.DeleteManifests([]string{"m2"}) })
	step("touched", false, func() error { return s.Touch([]Digest{key("a")}, time.Now()) })
	step("an entry deleted", true, func() error { return s.DeleteEntry(key("b")) })
	step("gc removing nothing", false, func() error { _, err := s.GC(GCOptions{}); return err })
	step("gc removing an entry", true, func() error {
		_, err := s.GC(GCOptions{OlderThan: time.Hour, Now: time.Now().Add(2 * time.Hour)})
		return err
	})
	step("reopened", false, func() error {
		if err := s.Close(); err != nil {
			return err
		}
		s, err = Open(dir, Options{})
		return err
	})
	step("cleaned", true, s.Clean)
}
