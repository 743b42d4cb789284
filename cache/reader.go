package cache

import (
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// A Reader looks entries up one after another in a read transaction it keeps, for a walk
// that asks for thousands of keys as it learns them and so cannot ask for them at once.
// Store.GetEntry opens and discards a transaction for every key, and each one is two
// handoffs to Badger's watermark goroutine: at 10,000 keys on two busy cores that was half
// the time of the lookups, more than finding the entries.
//
// A Reader sees the store as it was when its transaction began. It begins a new one when the
// last is older than readerRenewal, so that a walk that runs for hours neither reads an old
// view nor holds back Badger's compactions. A walk asks for each key once (one key, one
// flight), so what the walk itself stores since is never asked of the Reader.
//
// A Reader is for one goroutine at a time; Close it before the store.
type Reader struct {
	s      *Store
	db     *badger.DB // the database txn reads; a Clean or Close in between makes it stale
	txn    *badger.Txn
	begun  time.Time
	cleans int // s.cleans when txn began
}

// readerRenewal bounds how old a Reader's view may be. A null build's walk of 10,000
// actions is over in a fraction of it; a build that executes takes seconds per action, so a
// new transaction per second is nothing beside its work.
const readerRenewal = time.Second

// Reader returns a Reader of s.
func (s *Store) Reader() *Reader { return &Reader{s: s} }

// GetEntry returns the entry stored under key; ok is false when there is none.
func (r *Reader) GetEntry(key Digest) (e *Entry, ok bool, err error) {
	if err := key.check(); err != nil {
		return nil, false, err
	}
	s := r.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return nil, false, ErrClosed
	}
	if r.txn == nil || r.db != s.db || r.cleans != s.cleans || time.Since(r.begun) > readerRenewal {
		r.discard()
		r.db, r.txn, r.begun, r.cleans = s.db, s.db.NewTransaction(false), time.Now(), s.cleans
	}
	if e, err = getEntry(r.txn, key); err != nil {
		return nil, false, fmt.Errorf("reading action %s: %w", key, err)
	}
	return e, e != nil, nil
}

// Close ends the Reader's transaction.
func (r *Reader) Close() {
	if r.txn == nil {
		return
	}
	r.s.mu.RLock()
	defer r.s.mu.RUnlock()
	r.discard()
}

// discard ends the transaction, under s.mu, unless its database is closed: a closed
// database's watermark no longer listens.
func (r *Reader) discard() {
	if r.txn != nil && r.db == r.s.db {
		r.txn.Discard()
	}
	r.txn, r.db = nil, nil
}
