package cache

import (
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Usage records say when a build last used an action key, whether it ran
// the action or replayed it. GC evicts by them, least recently used first.
// They are kept apart from the entries so that marking 10,000 keys as used
// after a null build writes 10,000 small values, not 10,000 rewritten entries.

// Touch records that a build used keys at the given time.
func (s *Store) Touch(keys []Digest, at time.Time) error {
	for _, k := range keys {
		if err := k.check(); err != nil {
			return err
		}
	}
	v := encodeTime(at)
	if err := s.room(len(keys) * (len(prefixUsed) + 64 + len(v))); err != nil {
		return err
	}
	err := s.batch(func(wb *badger.WriteBatch) error {
		for _, k := range keys {
			if err := wb.Set(dbKey(prefixUsed, string(k)), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording use of %d actions: %w", len(keys), err)
	}
	return nil
}

// TouchStale records that a build used keys at the given time, except those whose last use
// is already recorded as less than fresh before it. Every key is read first, in order in one
// pass (a fraction of a write's cost), so that a build that used 10,000 keys minutes ago
// writes nothing: the writes were a synced batch, a table Badger flushed when the store
// closed and compacted at the next open, with hundreds of megabytes of buffers at 100,000
// keys. gc counts ages in days; the engine passes the imprecision it already allows a
// recorded build (engine/record.go, touchInterval).
func (s *Store) TouchStale(keys []Digest, at time.Time, fresh time.Duration) error {
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		if err := k.check(); err != nil {
			return err
		}
		names = append(names, string(k))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var stale []Digest
	err := s.readSorted(prefixUsed, names, func(name string, v []byte, found bool) {
		if !found || !at.Add(-fresh).Before(decodeTime(v)) {
			stale = append(stale, Digest(name))
		}
	})
	if err != nil {
		return fmt.Errorf("reading the use of %d actions: %w", len(names), err)
	}
	if len(stale) == 0 {
		return nil
	}
	return s.Touch(stale, at)
}

func encodeTime(t time.Time) []byte { return encodeUint(uint64(t.UnixNano())) }

func decodeTime(b []byte) time.Time { return time.Unix(0, int64(decodeUint(b))) }
