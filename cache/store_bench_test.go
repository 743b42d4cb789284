package cache

import (
	"fmt"
	"testing"
	"time"
)

// Benchmarks of the store's read paths and of the writes a null build makes. Run them with
//
//	go test ./cache -run '^$' -bench . -benchmem

// benchStore returns a store holding n entries shaped like commit results, and their keys.
func benchStore(b *testing.B, n int) (*Store, []Digest) {
	b.Helper()
	s := openTest(b)
	keys := make([]Digest, n)
	for i := range keys {
		k := key(fmt.Sprint(i))
		keys[i] = k
		e := &Entry{Key: k, Status: "ok", Outputs: map[string]Digest{"commit.json": Sum([]byte(k))},
			Log: Sum([]byte("log " + k)), Meta: []byte(`{"files":1}`), Mnemonic: "commit",
			Lines: "rule_version 3\nhead " + string(k) + "\nrepo //repos:r\n", Duration: time.Millisecond}
		if err := s.PutEntry(e); err != nil {
			b.Fatal(err)
		}
	}
	return s, keys
}

func BenchmarkReader1k(b *testing.B) {
	s, keys := benchStore(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		readAll(b, s, keys)
	}
}

func BenchmarkGetEntry(b *testing.B) {
	s, keys := benchStore(b, 100)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok, err := s.GetEntry(keys[i%len(keys)]); !ok || err != nil {
			b.Fatal(ok, err)
		}
		i++
	}
}

// BenchmarkNullBuildWrites is what a null build of 1,000 actions writes at its end: a
// manifest per action and a usage record per key.
func BenchmarkNullBuildWrites1k(b *testing.B) {
	s, keys := benchStore(b, 1000)
	manifests := map[string][]byte{}
	for _, k := range keys {
		manifests["last/"+string(k)[:16]] = []byte(`{"key":"` + string(k) + `","label":"//commits:c"}`)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.PutManifests(manifests); err != nil {
			b.Fatal(err)
		}
		if err := s.Touch(keys, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
