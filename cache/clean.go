package cache

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Clean removes every entry, blob, history record, usage record and
// manifest, and the files that held them.
func (s *Store) Clean() error {
	if s.readOnly {
		return ErrReadOnly
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return ErrClosed
	}
	s.cleans++
	if err := s.db.DropAll(); err != nil {
		return fmt.Errorf("cleaning cache: %w", err)
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set([]byte(keySchema), []byte(schemaVersion)); err != nil {
			return err
		}
		return bumpGeneration(txn)
	})
	if err != nil {
		return fmt.Errorf("cleaning cache: %w", err)
	}
	return nil
}
