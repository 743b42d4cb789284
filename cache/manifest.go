package cache

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
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
//
// The names are visited in order with one iterator rather than looked up one by one: a
// build's manifests lie next to each other in the keyspace, so most steps are a Next, which
// reads on in the block at hand, where a Get searches every level afresh for each name. The
// Gets were a tenth of the CPU time of a 10,000-action build that replayed everything.
func (s *Store) changedManifests(m map[string][]byte) (changed map[string][]byte, replaced bool, err error) {
	changed = map[string][]byte{}
	err = s.readSorted(prefixManifest, slices.Sorted(maps.Keys(m)), func(name string, old []byte, found bool) {
		switch v := m[name]; {
		case !found:
			changed[name] = v
		case !bytes.Equal(old, v):
			changed[name], replaced = v, true
		}
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading %d manifests: %w", len(m), err)
	}
	return changed, replaced, nil
}

// readSorted reads the values of names (sorted) under prefix in one read transaction, with
// one iterator that steps or seeks from each to the next, and gives each to visit; found is
// false for a name that is not stored. value is valid only during the call.
func (s *Store) readSorted(prefix string, names []string, visit func(name string, value []byte, found bool)) error {
	return s.view(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = []byte(prefix)
		it := txn.NewIterator(opts)
		defer it.Close()
		it.Rewind()
		for _, name := range names {
			k := dbKey(prefix, name)
			seekTo(it, k)
			if !it.Valid() || !bytes.Equal(it.Item().Key(), k) {
				visit(name, nil, false)
				continue
			}
			if err := it.Item().Value(func(v []byte) error { visit(name, v, true); return nil }); err != nil {
				return err
			}
		}
		return nil
	})
}

// seekSteps is how many keys seekTo steps over before it seeks instead: a step costs a
// fraction of a seek, which searches every level of the tree again.
const seekSteps = 8

// seekTo moves it to the first key at or after k, which must not be before its current key
// (keys are sought in order). It steps there when k is near, and seeks when it is not.
func seekTo(it *badger.Iterator, k []byte) {
	for range seekSteps {
		if !it.Valid() || bytes.Compare(it.Item().Key(), k) >= 0 {
			return
		}
		it.Next()
	}
	it.Seek(k)
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
