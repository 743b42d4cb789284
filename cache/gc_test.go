package cache

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// gcFixture stores four entries whose last use is 1 to 4 days ago; each has
// its own 1000-byte output, and all share one log.
func gcFixture(t *testing.T) (s *Store, now time.Time, outs map[string]Digest, shared Digest) {
	s = openTest(t)
	now = time.Now()
	shared, err := s.Put([]byte("shared log"))
	if err != nil {
		t.Fatal(err)
	}
	outs = map[string]Digest{}
	for i, name := range []string{"a", "b", "c", "d"} {
		out, err := s.Put([]byte(strings.Repeat(name, 1000)))
		if err != nil {
			t.Fatal(err)
		}
		outs[name] = out
		created := now.Add(-time.Duration(4-i) * 24 * time.Hour)
		if err := s.PutEntry(&Entry{Key: key(name), Status: "ok", Outputs: map[string]Digest{"out": out}, Log: shared, Created: created}); err != nil {
			t.Fatal(err)
		}
		if err := s.Touch([]Digest{key(name)}, created); err != nil {
			t.Fatal(err)
		}
	}
	return s, now, outs, shared
}

func TestGCOlderThanWithKeepAndDryRun(t *testing.T) {
	s, now, outs, shared := gcFixture(t)
	// a (4 days) and b (3 days) are older than 2.5 days; a is kept.
	o := GCOptions{OlderThan: 60 * time.Hour, Keep: map[Digest]bool{key("a"): true}, Now: now, DryRun: true}
	dry, err := s.GC(o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dry.Entries, []Digest{key("b")}) || dry.Blobs != 1 || dry.BytesFreed != 1000 {
		t.Errorf("dry run = %+v, want b and its 1000-byte output", dry)
	}
	if _, ok, _ := s.GetEntry(key("b")); !ok {
		t.Fatal("dry run removed an entry")
	}

	o.DryRun = false
	rep, err := s.GC(o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Entries, dry.Entries) || rep.Blobs != dry.Blobs || rep.BytesFreed != dry.BytesFreed {
		t.Errorf("GC = %+v, dry run said %+v", rep, dry)
	}
	for name, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, ok, _ := s.GetEntry(key(name)); ok != want {
			t.Errorf("entry %s present = %v, want %v", name, ok, want)
		}
		if ok, _ := s.Has(outs[name]); ok != want {
			t.Errorf("output of %s present = %v, want %v", name, ok, want)
		}
	}
	if ok, _ := s.Has(shared); !ok {
		t.Error("GC removed the log that remaining entries share")
	}
}

func TestGCTouchMakesRecent(t *testing.T) {
	s, now, _, _ := gcFixture(t)
	if err := s.Touch([]Digest{key("a")}, now); err != nil {
		t.Fatal(err)
	}
	rep, err := s.GC(GCOptions{OlderThan: 60 * time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Entries, []Digest{key("b")}) {
		t.Errorf("GC removed %v, want only b: a was used just now", rep.Entries)
	}
}

func TestGCMaxBytesLeastRecentlyUsedFirst(t *testing.T) {
	s, now, _, _ := gcFixture(t)
	// Live: four 1000-byte outputs and the 10-byte log, 4010 bytes. The LRU
	// order is a, b, c, d; a is kept, so b and then c go, leaving 2010.
	rep, err := s.GC(GCOptions{MaxBytes: 2100, Keep: map[Digest]bool{key("a"): true}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Entries, []Digest{key("b"), key("c")}) || rep.BytesFreed != 2000 {
		t.Errorf("GC = %+v, want b and c removed, 2000 bytes", rep)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 2 || st.Blobs != 3 || st.BlobBytes != 2010 {
		t.Errorf("after GC: %+v", st)
	}
}

func TestGCKeepsBlobsHeldByHistoryAndDropsUnreferenced(t *testing.T) {
	s := openTest(t)
	old, _ := s.Put([]byte("first measurement"))
	cur, _ := s.Put([]byte("second measurement"))
	stray, _ := s.Put([]byte("put but never referenced"))
	for _, out := range []Digest{old, cur} {
		if err := s.PutEntry(&Entry{Key: key("m"), Status: "ok", Outputs: map[string]Digest{"r": out}}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s.GC(GCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Entries) != 0 || rep.Blobs != 1 {
		t.Errorf("GC = %+v, want only the stray blob", rep)
	}
	for d, want := range map[Digest]bool{old: true, cur: true, stray: false} {
		if ok, _ := s.Has(d); ok != want {
			t.Errorf("Has(%s) = %v, want %v", d[:8], ok, want)
		}
	}
}

func TestClean(t *testing.T) {
	s, _, _, _ := gcFixture(t)
	if err := s.PutManifests(map[string][]byte{"x": []byte("y")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Clean(); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 0 || st.Blobs != 0 || st.HistoryEntries != 0 {
		t.Errorf("after Clean: %+v", st)
	}
	if m, _ := s.Manifests(""); len(m) != 0 {
		t.Errorf("after Clean: %d manifests", len(m))
	}
	// Still usable.
	if _, err := s.Put([]byte("after")); err != nil {
		t.Fatal(err)
	}
}

func TestGCAndCleanGiveDiskSpaceBack(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		blob := make([]byte, 1<<20) // random, so that no compression hides it
		for j := range blob {
			blob[j] = byte(rng.Uint32())
		}
		out, err := s.Put(blob)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PutEntry(&Entry{Key: key(fmt.Sprint(i)), Status: "ok", Outputs: map[string]Digest{"o": out}}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	// gc runs as its own command, in a process of its own.
	s, err = Open(dir, Options{Owner: "isobench gc"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.GC(GCOptions{MaxBytes: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Entries) != 16 || rep.BytesFreed != 16<<20 {
		t.Errorf("GC = %d entries, %d bytes; want 16 and 16 MiB", len(rep.Entries), rep.BytesFreed)
	}
	after, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if after.BlobBytes != 4<<20 || after.DiskBytes > before.DiskBytes/2 {
		t.Errorf("disk use went from %d to %d bytes (blobs now %d bytes), want under half", before.DiskBytes, after.DiskBytes, after.BlobBytes)
	}

	// The value-log rewrite moved what remains; it must still read back.
	for i := 16; i < 20; i++ {
		e, ok, err := s.GetEntry(key(fmt.Sprint(i)))
		if !ok || err != nil {
			t.Fatalf("entry %d after GC: %v, %v", i, ok, err)
		}
		if data, err := s.Get(e.Outputs["o"]); err != nil || len(data) != 1<<20 {
			t.Errorf("output %d after GC: %d bytes, %v", i, len(data), err)
		}
	}

	if err := s.Clean(); err != nil {
		t.Fatal(err)
	}
	cleaned, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if cleaned.DiskBytes > 1<<20 {
		t.Errorf("after Clean the store still takes %d bytes", cleaned.DiskBytes)
	}
}
