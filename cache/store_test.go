package cache

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// openTest opens a fresh store that is closed when the test ends.
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{Owner: "test " + t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// key returns a distinct, valid action key per name.
func key(name string) Digest { return Sum([]byte("key " + name)) }

func TestSum(t *testing.T) {
	// sha256("") is a well-known constant.
	if got, want := Sum(nil), Digest("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"); got != want {
		t.Errorf("Sum(nil) = %s, want %s", got, want)
	}
	for _, d := range []Digest{"", "abc", Digest(strings.ToUpper(string(Sum(nil)))), Sum(nil)[:63] + "/"} {
		if d.Valid() {
			t.Errorf("%q.Valid() = true", d)
		}
	}
}

func TestCloseTwiceAndUseAfterClose(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Put([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v, want ErrClosed", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Put([]byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	for _, ro := range []bool{false, true} {
		t.Run(fmt.Sprintf("readonly=%v", ro), func(t *testing.T) {
			s, err := Open(dir, Options{ReadOnly: ro})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got, err := s.Get(d); err != nil || string(got) != "kept" {
				t.Errorf("Get = %q, %v", got, err)
			}
		})
	}
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	s, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Put([]byte("x")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Put: %v, want ErrReadOnly", err)
	}
	if err := s.PutEntry(&Entry{Key: key("a")}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("PutEntry: %v, want ErrReadOnly", err)
	}
	if err := s.Touch([]Digest{key("a")}, time.Now()); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Touch: %v, want ErrReadOnly", err)
	}
	if err := s.Clean(); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Clean: %v, want ErrReadOnly", err)
	}
}

func TestReadOnlyOfMissingStoreIsEmptyAndCreatesNothing(t *testing.T) {
	dir := t.TempDir() + "/never-built"
	s, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok, err := s.GetEntry(key("a")); ok || err != nil {
		t.Errorf("GetEntry = %v, %v; want not found", ok, err)
	}
	st, err := s.Stats()
	if err != nil || st.Entries != 0 || st.DiskBytes != 0 {
		t.Errorf("Stats = %+v, %v", st, err)
	}
	if _, err := s.Get(Sum(nil)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
	if exists(dir) {
		t.Errorf("read-only open created %s", dir)
	}
}

func TestReadersShareWritersExclude(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Options{Owner: "isobench build //x:all"})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()

	r1, err := Open(dir, Options{ReadOnly: true, Owner: "isobench status"})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(dir, Options{ReadOnly: true, Owner: "isobench why"})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	defer r2.Close()

	// A writer waits readerWait for readers to finish, then gives up.
	defer func(d time.Duration) { readerWait = d }(readerWait)
	readerWait = 100 * time.Millisecond
	_, err = Open(dir, Options{Owner: "isobench build //y:all"})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("writer while readers hold it: %v, want *LockedError", err)
	}
	if !le.ReadOnly || !strings.Contains(le.Error(), "(reading it)") {
		t.Errorf("LockedError = %+v (%v), want readers named as such", le, le)
	}
}

func TestWriterWaitsForAReaderToFinish(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := Open(dir, Options{ReadOnly: true, Owner: "isobench status"})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, func() { r.Close() })
	w, err = Open(dir, Options{Owner: "isobench build //x:all"})
	if err != nil {
		t.Fatalf("writer did not wait for the reader: %v", err)
	}
	w.Close()
}

func TestConcurrentReadersAllGetIn(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			r, err := Open(dir, Options{ReadOnly: true})
			if err != nil {
				t.Error(err)
				return
			}
			r.Close()
		})
	}
	wg.Wait()
}

func TestSchemaMismatchRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.update(func(txn *badger.Txn) error { return txn.Set([]byte(keySchema), []byte("0")) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "layout version 0") {
		t.Errorf("Open = %v, want a layout version error", err)
	}
}
