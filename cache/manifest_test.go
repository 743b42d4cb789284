package cache

import (
	"fmt"
	"testing"
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
