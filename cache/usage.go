package cache

import (
	"fmt"
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

func encodeTime(t time.Time) []byte { return encodeUint(uint64(t.UnixNano())) }

func decodeTime(b []byte) time.Time { return time.Unix(0, int64(decodeUint(b))) }
