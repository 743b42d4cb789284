package cache

import (
	"errors"
	"testing"
)

// A Reader finds what the store held when its transaction began, and begins another once the
// store is cleaned; it fails once the store is closed.
func TestReader(t *testing.T) {
	s := openTest(t)
	a, b := key("a"), key("b")
	if err := s.PutEntry(&Entry{Key: a, Status: "ok", Lines: "x 1\n"}); err != nil {
		t.Fatal(err)
	}
	r := s.Reader()
	defer r.Close()
	if e, ok, err := r.GetEntry(a); !ok || err != nil || e.Key != a || e.Lines != "x 1\n" {
		t.Fatalf("GetEntry(a) = %+v, %v, %v", e, ok, err)
	}
	if _, ok, err := r.GetEntry(b); ok || err != nil {
		t.Fatalf("GetEntry(b) = %v, %v; want no entry", ok, err)
	}
	if _, _, err := r.GetEntry("not a digest"); err == nil {
		t.Error("GetEntry of a malformed key succeeded")
	}
	if err := s.Clean(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := r.GetEntry(a); ok || err != nil {
		t.Errorf("after Clean, GetEntry(a) = %v, %v; want no entry", ok, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.GetEntry(a); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close, GetEntry = %v, want ErrClosed", err)
	}
}
