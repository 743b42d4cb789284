package cache

import (
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// TouchStale marks a key used again only when its last use is at least fresh ago, or unknown.
func TestTouchStale(t *testing.T) {
	s := openTest(t)
	now := time.Now()
	recent, old, never := key("recent"), key("old"), key("never")
	if err := s.Touch([]Digest{recent}, now.Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Touch([]Digest{old}, now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchStale([]Digest{old, recent, never, recent}, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[Digest]time.Time{recent: now.Add(-10 * time.Minute), old: now, never: now} {
		var got time.Time
		err := s.view(func(txn *badger.Txn) error {
			item, err := txn.Get(dbKey(prefixUsed, string(k)))
			if err != nil {
				return err
			}
			return item.Value(func(v []byte) error { got = decodeTime(v); return nil })
		})
		if err != nil || !got.Equal(want) {
			t.Errorf("last use of %s = %v, %v; want %v", k[:8], got, err, want)
		}
	}
	if err := s.TouchStale([]Digest{"bad"}, now, time.Hour); err == nil {
		t.Error("TouchStale of a malformed key succeeded")
	}
}
