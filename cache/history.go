package cache

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// History keeps the results an action key had before its current one: a
// recorded action (an LLM generation, a measurement) that is rerun on
// purpose keeps what it replaced, so a surprising new number can be put
// next to the old ones.
//
// A record's Badger key ends in the replaced entry's Created time and the
// time it was replaced, each as 16 hex digits of Unix nanoseconds. Fixed
// width makes byte order time order, so a prefix scan yields the oldest
// first, and the second time keeps two records with equal Created apart.

func historyPrefix(key Digest) []byte {
	return dbKey(prefixHistory, string(key)+"/")
}

func historyKey(key Digest, created, replaced time.Time) []byte {
	return fmt.Appendf(historyPrefix(key), "%016x%016x", uint64(created.UnixNano()), uint64(replaced.UnixNano()))
}

// History returns the entries key held before its current one, oldest
// first. The current entry is GetEntry's.
func (s *Store) History(key Digest) ([]Entry, error) {
	if err := key.check(); err != nil {
		return nil, err
	}
	var hist []Entry
	err := s.view(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = historyPrefix(key)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var e Entry
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &e) }); err != nil {
				return err
			}
			hist = append(hist, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading history of %s: %w", key, err)
	}
	return hist, nil
}
