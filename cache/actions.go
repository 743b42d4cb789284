package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Entry is the stored result of one action, under its action key. Status,
// Class, Kind and Meta mean something to the engine only; the cache reads
// Outputs and Log (to know which blobs are in use), Kind and Status (to
// count them) and Created (to order history and age entries).
type Entry struct {
	Key      Digest            `json:"key"`
	Status   string            `json:"status"`          // "ok", "failed", "skipped"
	Class    string            `json:"class,omitempty"` // failure class
	Message  string            `json:"message,omitempty"`
	Outputs  map[string]Digest `json:"outputs,omitempty"` // name -> CAS digest
	Log      Digest            `json:"log,omitempty"`     // CAS digest of the log
	Meta     json.RawMessage   `json:"meta,omitempty"`
	Lines    string            `json:"lines"` // the key description ("name value" lines), for why
	Mnemonic string            `json:"kind"`  // action kind, for stats
	Created  time.Time         `json:"created"`
	Duration time.Duration     `json:"duration"`
	// BlockedBy, on a failure, is the action whose failure it passes on (engine.Result's).
	BlockedBy string `json:"blocked_by,omitempty"`
}

// blobs lists the digests e holds on to.
func (e *Entry) blobs() []Digest {
	ds := make([]Digest, 0, len(e.Outputs)+1)
	for _, d := range e.Outputs {
		ds = append(ds, d)
	}
	if e.Log != "" {
		ds = append(ds, e.Log)
	}
	return ds
}

// GetEntry returns the entry stored under key; ok is false when there is none.
func (s *Store) GetEntry(key Digest) (e *Entry, ok bool, err error) {
	if err := key.check(); err != nil {
		return nil, false, err
	}
	err = s.view(func(txn *badger.Txn) error {
		e, err = getEntry(txn, key)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading action %s: %w", key, err)
	}
	return e, e != nil, nil
}

// getEntry returns nil, nil when key has no entry.
func getEntry(txn *badger.Txn, key Digest) (*Entry, error) {
	item, err := txn.Get(dbKey(prefixEntry, string(key)))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	e := new(Entry)
	// Value hands out Badger's own buffer, valid only inside the callback;
	// decodeEntry copies what it keeps (Meta included), so no ValueCopy.
	err = item.Value(func(v []byte) error { return decodeEntry(v, e) })
	if err != nil {
		return nil, err
	}
	return e, nil
}

// PutEntry stores e under e.Key. In the same transaction the entry it
// replaces, if any, moves into history, so that a crash can never lose the
// old result without the new one being in place. The transaction is synced
// before PutEntry returns: the result survives the process being killed
// right after. A zero Created is stored as the time of the call.
func (s *Store) PutEntry(e *Entry) error {
	if err := e.Key.check(); err != nil {
		return err
	}
	for name, d := range e.Outputs {
		if err := d.check(); err != nil {
			return fmt.Errorf("output %q: %w", name, err)
		}
	}
	if e.Log != "" {
		if err := e.Log.check(); err != nil {
			return fmt.Errorf("log: %w", err)
		}
	}
	now := time.Now()
	stored := *e
	if stored.Created.IsZero() {
		stored.Created = now
	}
	val, err := json.Marshal(&stored)
	if err != nil {
		return fmt.Errorf("encoding action %s: %w", e.Key, err)
	}
	if err := s.room(2 * len(val)); err != nil { // the entry, and the one it moves to history
		return err
	}
	defer s.lockDigest(e.Key)()
	err = s.update(func(txn *badger.Txn) error {
		k := dbKey(prefixEntry, string(e.Key))
		item, err := txn.Get(k)
		switch {
		case err == nil:
			prev, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			var old Entry
			if json.Unmarshal(prev, &old) != nil || old.Created.IsZero() {
				old.Created = now
			}
			if err := txn.Set(historyKey(e.Key, old.Created, now), prev); err != nil {
				return err
			}
			if err := bumpGeneration(txn); err != nil { // generation.go
				return err
			}
		case !errors.Is(err, badger.ErrKeyNotFound):
			return err
		}
		if err := txn.Set(k, val); err != nil {
			return err
		}
		return txn.Set(dbKey(prefixUsed, string(e.Key)), encodeTime(now))
	})
	if err != nil {
		return fmt.Errorf("storing action %s: %w", e.Key, err)
	}
	return nil
}

// DeleteEntry forgets key: its entry, its history and its usage record.
// The blobs they referenced stay until GC finds them unreferenced.
func (s *Store) DeleteEntry(key Digest) error {
	if err := key.check(); err != nil {
		return err
	}
	defer s.lockDigest(key)()
	err := s.update(func(txn *badger.Txn) error {
		hist, err := keysWithPrefix(txn, historyPrefix(key))
		if err != nil {
			return err
		}
		for _, k := range append(hist, dbKey(prefixEntry, string(key)), dbKey(prefixUsed, string(key))) {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return bumpGeneration(txn)
	})
	if err != nil {
		return fmt.Errorf("deleting action %s: %w", key, err)
	}
	return nil
}

// keysWithPrefix lists keys without reading their values.
func keysWithPrefix(txn *badger.Txn, prefix []byte) ([][]byte, error) {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	defer it.Close()
	var keys [][]byte
	for it.Rewind(); it.Valid(); it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	return keys, nil
}
