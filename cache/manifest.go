package cache

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Manifests are small named records the engine writes after each build, for
// instance the last key of each action and its key lines, so that status and
// why can explain what is stale without executing anything. Names and
// contents mean nothing to the cache; GC keeps them, Clean removes them.

// PutManifests stores every record in m. It is one write batch, not one
// transaction: each record is durable when PutManifests returns, but a crash
// midway may leave some written and some not, which a manifest of the last
// build can afford.
//
// Records equal to those stored are not written again: a null build of 10,000 actions
// finds its manifests unchanged, and rewriting them would cost a write each and grow the
// value log by every build.
func (s *Store) PutManifests(m map[string][]byte) error {
	changed, replaced, err := s.changedManifests(m)
	if err != nil {
		return err
	}
	m = changed
	if len(m) == 0 {
		return nil
	}
	n := 0
	for name, v := range m {
		n += len(name) + len(v)
	}
	if err := s.room(n); err != nil {
		return err
	}
	err = s.batch(func(wb *badger.WriteBatch) error {
		for name, v := range m {
			if err := wb.Set(dbKey(prefixManifest, name), v); err != nil {
				return err
			}
		}
		if !replaced {
			return nil
		}
		return bumpGeneration(wb) // a record may hold the old one: generation.go
	})
	if err != nil {
		return fmt.Errorf("storing %d manifests: %w", len(m), err)
	}
	return nil
}

// changedManifests returns the records of m that differ from those stored, read in one
// transaction, and whether any of them replaces a stored one.
func (s *Store) changedManifests(m map[string][]byte) (changed map[string][]byte, replaced bool, err error) {
	changed = map[string][]byte{}
	err = s.view(func(txn *badger.Txn) error {
		for name, v := range m {
			item, err := txn.Get(dbKey(prefixManifest, name))
			switch {
			case errors.Is(err, badger.ErrKeyNotFound):
				changed[name] = v
				continue
			case err != nil:
				return err
			}
			same := false
			if err := item.Value(func(old []byte) error { same = bytes.Equal(old, v); return nil }); err != nil {
				return err
			}
			if !same {
				changed[name], replaced = v, true
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading %d manifests: %w", len(m), err)
	}
	return changed, replaced, nil
}

// DeleteManifests removes the named records; absent names are no error.
func (s *Store) DeleteManifests(names []string) error {
	err := s.batch(func(wb *badger.WriteBatch) error {
		for _, name := range names {
			if err := wb.Delete(dbKey(prefixManifest, name)); err != nil {
				return err
			}
		}
		return bumpGeneration(wb)
	})
	if err != nil {
		return fmt.Errorf("deleting %d manifests: %w", len(names), err)
	}
	return nil
}

// GetManifest returns the record stored under name; ok is false when there is none.
func (s *Store) GetManifest(name string) (v []byte, ok bool, err error) {
	err = s.view(func(txn *badger.Txn) error {
		item, err := txn.Get(dbKey(prefixManifest, name))
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading manifest %q: %w", name, err)
	}
	return v, true, nil
}

// Manifests returns every record whose name starts with prefix, by name.
func (s *Store) Manifests(prefix string) (map[string][]byte, error) {
	m := make(map[string][]byte)
	err := s.view(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = dbKey(prefixManifest, prefix)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			m[strings.TrimPrefix(string(it.Item().Key()), prefixManifest)] = v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading manifests %q: %w", prefix, err)
	}
	return m, nil
}
