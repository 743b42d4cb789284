package cache

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestManifests(t *testing.T) {
	s := openTest(t)
	// Enough to need several Badger transactions: the batch splits them.
	m := make(map[string][]byte)
	for i := range 5000 {
		m[fmt.Sprintf("action/%05d", i)] = []byte(fmt.Sprintf("key %064d\nlines ...%0512d\n", i, i))
	}
	m["build/last"] = []byte("2026-11-23")
	if err := s.PutManifests(m); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.GetManifest("action/00042"); !ok || err != nil || string(v) != string(m["action/00042"]) {
		t.Errorf("GetManifest = %.20q, %v, %v", v, ok, err)
	}
	if _, ok, err := s.GetManifest("action/none"); ok || err != nil {
		t.Errorf("GetManifest of a missing name = %v, %v", ok, err)
	}
	got, err := s.Manifests("action/")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5000 || string(got["action/04999"]) != string(m["action/04999"]) {
		t.Errorf("Manifests returned %d records", len(got))
	}
	if err := s.DeleteManifests([]string{"build/last"}); err != nil {
		t.Fatal(err)
	}
	if all, err := s.Manifests(""); len(all) != 5000 || err != nil {
		t.Errorf("after delete: %d records, %v", len(all), err)
	}
}

// An unchanged manifest is not written again; a changed one is.
func TestPutManifestsSkipsUnchanged(t *testing.T) {
	s := openTest(t)
	version := func(name string) uint64 {
		var v uint64
		if err := s.view(func(txn *badger.Txn) error {
			item, err := txn.Get(dbKey(prefixManifest, name))
			if err == nil {
				v = item.Version()
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := s.PutManifests(map[string][]byte{"a": []byte("1"), "b": []byte("2")}); err != nil {
		t.Fatal(err)
	}
	va, vb := version("a"), version("b")
	if err := s.PutManifests(map[string][]byte{"a": []byte("1"), "b": []byte("3"), "c": []byte("4")}); err != nil {
		t.Fatal(err)
	}
	if version("a") != va {
		t.Errorf("the unchanged manifest a was written again")
	}
	if version("b") == vb {
		t.Errorf("the changed manifest b was not written")
	}
	for name, want := range map[string]string{"a": "1", "b": "3", "c": "4"} {
		if v, ok, err := s.GetManifest(name); err != nil || !ok || string(v) != want {
			t.Errorf("manifest %s = %q, %v, %v; want %q", name, v, ok, err, want)
		}
	}
}

// changedManifests walks the names in order, stepping over stored records near the next name
// and seeking past far ones; either way each name is compared with its own record.
func TestChangedManifestsStepsAndSeeks(t *testing.T) {
	s := openTest(t)
	stored := map[string][]byte{}
	for i := range 100 {
		stored[fmt.Sprintf("m/%03d", i)] = []byte(fmt.Sprint(i))
	}
	if err := s.PutManifests(stored); err != nil {
		t.Fatal(err)
	}
	ask := map[string][]byte{
		"a":       []byte("before all"),
		"m/000":   []byte("0"),
		"m/001":   []byte("changed"),
		"m/002":   []byte("2"),
		"m/002.5": []byte("between"),
		"m/040":   []byte("40"),
		"m/041":   []byte("41 changed"),
		"m/099":   []byte("99"),
		"z":       []byte("after all"),
	}
	changed, replaced, err := s.changedManifests(ask)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "m/001", "m/002.5", "m/041", "z"}
	if len(changed) != len(want) || !replaced {
		t.Errorf("changed = %q, replaced = %v; want %q, true", slices.Sorted(maps.Keys(changed)), replaced, want)
	}
	for _, name := range want {
		if string(changed[name]) != string(ask[name]) {
			t.Errorf("changed[%s] = %q, want %q", name, changed[name], ask[name])
		}
	}
}
