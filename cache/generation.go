package cache

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// The generation names what a store holds, as far as a record of an earlier build may rely
// on it (the engine's build record answers a null build without looking each entry up). It
// is a random token, replaced whenever something such a record names may have gone or
// changed: an entry replaced (PutEntry over an existing key) or deleted (DeleteEntry, GC),
// a manifest written with other bytes or deleted, the whole store cleaned. Adding an entry
// under a new key leaves it as it is: a record names only keys that were there when it was
// made, so a build of other targets does not invalidate it.
//
// A token rather than a counter: Clean drops every key, the counter with them, and a
// counter started again could meet an old record's number. A token is written blind, never
// read in the same transaction, so concurrent writers do not conflict over it.
const keyGeneration = "meta/generation"

// Generation returns the store's generation token.
func (s *Store) Generation() (string, error) {
	gen, err := s.metaString(keyGeneration)
	if err != nil {
		return "", fmt.Errorf("reading the cache's generation: %w", err)
	}
	return gen, nil
}

// newGeneration is a fresh token: 16 random bytes, in hex.
func newGeneration() []byte {
	var b [16]byte
	rand.Read(b[:])
	return []byte(hex.EncodeToString(b[:]))
}

// ensureGeneration gives a store opened for writing a generation if it has none (made before
// generations were kept, or just created), so that no record ever relies on an empty one.
func (s *Store) ensureGeneration() error {
	gen, err := s.Generation()
	if err != nil || gen != "" {
		return err
	}
	return s.update(func(txn *badger.Txn) error { return bumpGeneration(txn) })
}

// bumpGeneration replaces the generation within a transaction or a write batch that replaces
// or removes something.
func bumpGeneration(w interface{ Set(key, value []byte) error }) error {
	return w.Set([]byte(keyGeneration), newGeneration())
}
