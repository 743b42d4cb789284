package cache

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestCASRoundTrip(t *testing.T) {
	s := openTest(t)
	for _, data := range [][]byte{
		nil,
		[]byte("a small log line\n"),
		bytes.Repeat([]byte("dataset row\n"), 100_000), // over the value threshold: lives in the value log
	} {
		d, err := s.Put(data)
		if err != nil {
			t.Fatal(err)
		}
		if d != Sum(data) {
			t.Errorf("Put returned %s, want Sum %s", d, Sum(data))
		}
		again, err := s.Put(data)
		if err != nil || again != d {
			t.Errorf("second Put = %s, %v; want %s", again, err, d)
		}
		if ok, err := s.Has(d); !ok || err != nil {
			t.Errorf("Has = %v, %v", ok, err)
		}
		got, err := s.Get(d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("Get returned %d bytes, want %d", len(got), len(data))
		}
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len("a small log line\n") + 100_000*len("dataset row\n")); st.Blobs != 3 || st.BlobBytes != want {
		t.Errorf("Stats: %d blobs of %d bytes, want 3 of %d", st.Blobs, st.BlobBytes, want)
	}
}

func TestCASMissing(t *testing.T) {
	s := openTest(t)
	d := Sum([]byte("never stored"))
	if _, err := s.Get(d); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
	if ok, err := s.Has(d); ok || err != nil {
		t.Errorf("Has = %v, %v; want false, nil", ok, err)
	}
	if _, err := s.Get("../etc"); !errors.Is(err, ErrInvalidDigest) {
		t.Errorf("Get of a bad digest: %v, want ErrInvalidDigest", err)
	}
}

func TestCASDetectsCorruption(t *testing.T) {
	s := openTest(t)
	d, err := s.Put([]byte("original"))
	if err != nil {
		t.Fatal(err)
	}
	// Overwrite the content behind the store's back, as a disk error would.
	if err := s.batch(func(wb *badger.WriteBatch) error { return wb.Set(dbKey(prefixBlob, string(d)), []byte("tampered")) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(d); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get: %v, want ErrCorrupt", err)
	}
}
