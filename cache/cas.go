package cache

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// ErrCorrupt is wrapped by Get when stored bytes no longer match their
// digest. Replaying a corrupt output would poison every action downstream,
// so the check is worth its cost (SHA-256 reads at gigabytes a second).
var ErrCorrupt = errors.New("cache blob does not match its digest")

// Put stores data under its digest and returns the digest. Storing content
// that is already present writes nothing, so the value log does not grow
// with every rebuild of an unchanged output.
func (s *Store) Put(data []byte) (Digest, error) {
	d := Sum(data)
	if err := s.room(len(data)); err != nil {
		return "", err
	}
	defer s.lockDigest(d)()
	err := s.update(func(txn *badger.Txn) error {
		_, err := txn.Get(dbKey(prefixBlobSize, string(d)))
		if err == nil {
			return nil
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		if err := txn.Set(dbKey(prefixBlob, string(d)), data); err != nil {
			return err
		}
		return txn.Set(dbKey(prefixBlobSize, string(d)), encodeUint(uint64(len(data))))
	})
	if err != nil {
		return "", fmt.Errorf("storing blob of %d bytes: %w", len(data), err)
	}
	return d, nil
}

// Get returns the blob stored under d, or an error wrapping ErrNotFound.
func (s *Store) Get(d Digest) ([]byte, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	var data []byte
	err := s.view(func(txn *badger.Txn) error {
		item, err := txn.Get(dbKey(prefixBlob, string(d)))
		if err != nil {
			return err
		}
		data, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", d, err)
	}
	if Sum(data) != d {
		return nil, fmt.Errorf("blob %s: %w", d, ErrCorrupt)
	}
	return data, nil
}

// Has reports whether a blob is stored under d, without reading it.
func (s *Store) Has(d Digest) (bool, error) {
	if err := d.check(); err != nil {
		return false, err
	}
	err := s.view(func(txn *badger.Txn) error {
		_, err := txn.Get(dbKey(prefixBlobSize, string(d)))
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("looking up blob %s: %w", d, err)
	}
	return true, nil
}

// encodeUint is the fixed-width form of sizes and times in values.
func encodeUint(v uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, v)
}

func decodeUint(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
