package cache

import (
	"bytes"
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
	for _, k := range keys {
		if err := k.check(); err != nil {
			return err
		}
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var stale []Digest
	err := s.view(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = []byte(prefixUsed)
		it := txn.NewIterator(opts)
		defer it.Close()
		it.Rewind()
		for _, k := range sorted {
			dk := dbKey(prefixUsed, string(k))
			seekTo(it, dk) // manifest.go
			if !it.Valid() || !bytes.Equal(it.Item().Key(), dk) {
				stale = append(stale, k)
				continue
			}
			var last time.Time
			if err := it.Item().Value(func(v []byte) error { last = decodeTime(v); return nil }); err != nil {
				return err
			}
			if !at.Add(-fresh).Before(last) {
				stale = append(stale, k)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading the use of %d actions: %w", len(sorted), err)
	}
	if len(stale) == 0 {
		return nil
	}
	return s.Touch(stale, at)
}

func encodeTime(t time.Time) []byte { return encodeUint(uint64(t.UnixNano())) }

func decodeTime(b []byte) time.Time { return time.Unix(0, int64(decodeUint(b))) }
