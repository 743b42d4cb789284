package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Options say how to open a store.
type Options struct {
	// ReadOnly opens the store for status and why, beside other readers:
	// every write fails with ErrReadOnly. See doc.go for what a read-only
	// open may still change on disk, and when it is refused.
	ReadOnly bool
	// Owner says what the opener is, e.g. "isobench build //dataset:all".
	// A writer records it in the lock file so that a second opener can name
	// it; readers, several at a time, record nothing.
	Owner string
}

var (
	// ErrNotFound is wrapped by lookups of a blob that is not stored.
	ErrNotFound = errors.New("not found")
	// ErrReadOnly is returned by every write to a store opened read-only.
	ErrReadOnly = errors.New("cache is open read-only")
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("cache is closed")
)

// Key prefixes of the one Badger keyspace. Readable text rather than tag
// bytes, so that a dump of the database can be read by a person.
const (
	prefixBlob     = "cas/"  // cas/<digest> -> content
	prefixBlobSize = "size/" // size/<digest> -> 8-byte length, so stats and gc never read content
	prefixEntry    = "ac/"   // ac/<key> -> Entry JSON
	prefixHistory  = "hist/" // hist/<key>/<created><archived> -> Entry JSON
	prefixUsed     = "used/" // used/<key> -> 8-byte Unix nanoseconds of the last build that used it
	prefixManifest = "man/"  // man/<name> -> bytes of the engine's choosing
	keySchema      = "meta/schema"
)

// schemaVersion names the layout above. A store of another version is
// refused rather than misread; `isobench clean` starts afresh. The engine's
// own cache schema version belongs in its action keys, not here.
const schemaVersion = "1"

// dbDirName holds Badger's files. It is a subdirectory so that Badger's own
// pid file, also called LOCK, and ours do not collide, and so that everything
// a read-only opener must not touch is under one directory.
const dbDirName = "db"

// Store is an action cache and a content-addressed blob store in one Badger
// database. Its methods are safe for concurrent use.
type Store struct {
	dir      string
	readOnly bool
	lock     *storeLock // nil for a read-only view of a store that does not exist yet

	// mu is held for reading by every call and for writing by Clean and
	// Close: Badger's DropAll may panic a concurrent read, and a closed
	// *badger.DB must not be used.
	mu sync.RWMutex
	db *badger.DB
	// cleans counts Clean's calls, under mu, so that a Reader knows its view is gone.
	cleans int

	// stripes serialise read-modify-write transactions on the same digest
	// within this process, the only one that may write. Badger would detect
	// the conflict and make one side retry, but under a burst of workers
	// storing the same key that is a loop of failed fsynced commits; waiting
	// on a mutex is cheaper and always terminates. Different digests rarely
	// share a stripe, so unrelated commits still share Badger's fsyncs.
	stripes [256]sync.Mutex
}

// lockDigest holds d's stripe until the returned function is called.
func (s *Store) lockDigest(d Digest) (unlock func()) {
	m := &s.stripes[hexVal(d[0])<<4|hexVal(d[1])]
	m.Lock()
	return m.Unlock
}

func hexVal(c byte) int {
	if c >= 'a' {
		return int(c-'a') + 10
	}
	return int(c - '0')
}

// Open opens the store in dir, creating it if needed. If another process
// holds it, Open returns a *LockedError.
func Open(dir string, opts Options) (*Store, error) {
	if opts.ReadOnly {
		return openReadOnly(dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating cache: %w", err)
	}
	lock, err := lockExclusive(dir, opts)
	if err != nil {
		return nil, err
	}
	db, err := openBadgerWriter(filepath.Join(dir, dbDirName))
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("opening cache at %s: %w", dir, err)
	}
	s := &Store{dir: dir, db: db, lock: lock}
	if err := s.checkSchema(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Exists reports whether dir holds a store, without opening or creating anything.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, dbDirName, "MANIFEST"))
	return err == nil
}

func openReadOnly(dir string) (*Store, error) {
	dbDir := filepath.Join(dir, dbDirName)
	if _, err := os.Stat(filepath.Join(dbDir, "MANIFEST")); errors.Is(err, fs.ErrNotExist) {
		// Nothing was ever cached here. An empty in-memory database answers
		// every question with "nothing", which is the truth, without the
		// write that creating the store on disk would be.
		db, err := badger.Open(badgerOptions("", false).WithInMemory(true))
		if err != nil {
			return nil, fmt.Errorf("opening empty cache view: %w", err)
		}
		return &Store{dir: dir, db: db, readOnly: true}, nil
	}
	lock, err := lockShared(dir)
	if err != nil {
		return nil, err
	}
	db, err := openBadgerReadOnly(dbDir)
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("opening cache at %s read-only: %w", dir, err)
	}
	s := &Store{dir: dir, db: db, lock: lock, readOnly: true}
	if err := s.checkSchema(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openBadgerReadOnly opens Badger read-only, first repairing what a killed
// writer left if need be. A writer's memtable log has a preallocated tail
// that must be trimmed before Badger can read it, and only a read-write open
// trims. That repair is safe for a reader to make: its shared lock keeps
// writers out, and Badger's own directory lock keeps the read-write open
// from running beside another reader's handle. Two readers arriving at once
// take turns, hence the retries.
func openBadgerReadOnly(dir string) (*badger.DB, error) {
	var err error
	for range 100 {
		var db *badger.DB
		if db, err = badger.Open(badgerOptions(dir, true)); err == nil {
			return db, nil
		}
		if truncateNeeded(err) {
			var rw *badger.DB
			if rw, err = badger.Open(badgerOptions(dir, false)); err == nil {
				if err = rw.Close(); err != nil {
					return nil, err
				}
				continue
			}
		}
		if !badgerLocked(err) {
			return nil, err
		}
		time.Sleep(20 * time.Millisecond) // another reader is repairing or opening
	}
	return nil, err
}

// badgerLockWait bounds how long a writer that holds the store's lock waits for Badger's
// own directory lock. With the store's lock held nobody else may have the database open;
// Badger's lock can still be held for a moment by a child process being started elsewhere in
// this process: fork copies every descriptor, a sandboxed command's child keeps its copies
// until it execs, after its user namespace is mapped (milliseconds), and Badger closes its
// lock file without unlocking it first (storeLock.release does unlock). A test that closes
// and reopens a store beside running commands met it.
const badgerLockWait = 2 * time.Second

func openBadgerWriter(dir string) (*badger.DB, error) {
	deadline := time.Now().Add(badgerLockWait)
	for {
		db, err := badger.Open(badgerOptions(dir, false))
		if err == nil || !badgerLocked(err) || time.Now().After(deadline) {
			return db, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// truncateNeeded and badgerLocked recognise Badger's errors by their text:
// Badger wraps its errors with %+v, not %w, so errors.Is cannot see them.
func truncateNeeded(err error) bool {
	return strings.Contains(err.Error(), badger.ErrTruncateNeeded.Error())
}

func badgerLocked(err error) bool {
	return strings.Contains(err.Error(), "Cannot acquire directory lock")
}

// badgerOptions sizes Badger for a build tool's cache rather than a
// database server: Badger's defaults (64 MiB memtables, five of them, a
// 256 MiB block cache) would put a null build of 10,000 targets well past
// the 300 MB of resident memory it is allowed.
func badgerOptions(dir string, readOnly bool) badger.Options {
	return badger.DefaultOptions(dir).
		WithReadOnly(readOnly).
		// Badger logs compactions and recoveries on stderr, which would tear
		// through the progress display. Its errors reach us as return values.
		WithLogger(nil).
		WithMetricsEnabled(false).
		// A result can stand for GPU hours or paid LLM tokens, so a commit
		// reaches the disk before PutEntry returns. Process death alone would
		// not need it (the log is written through mmap), power loss does.
		// Actions take seconds or more, so one fsync per result is cheap, and
		// Badger groups concurrent commits into one write.
		WithSyncWrites(true).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(32 << 20).
		WithNumCompactors(2).
		// Values of 64 KiB and more (logs, scripts, datasets) go to the value
		// log, keeping the LSM tree small: it holds the entries that a null
		// build reads, and stays cheap to compact.
		WithValueThreshold(64 << 10)
}

func (s *Store) checkSchema() error {
	have, err := s.metaString(keySchema)
	switch {
	case err != nil:
		return fmt.Errorf("reading cache schema: %w", err)
	case have != "" && have != schemaVersion:
		return fmt.Errorf("the cache at %s has layout version %s, this isobench reads version %s; remove it with `isobench clean`", s.dir, have, schemaVersion)
	case s.readOnly:
		return nil
	case have == "":
		err := s.update(func(txn *badger.Txn) error {
			return txn.Set([]byte(keySchema), []byte(schemaVersion))
		})
		if err != nil {
			return err
		}
	}
	return s.ensureGeneration()
}

// metaString reads a value the store keeps about itself (its schema version, its
// generation); "" when it is not set.
func (s *Store) metaString(key string) (string, error) {
	var v string
	err := s.view(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(key))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		b, err := item.ValueCopy(nil)
		v = string(b)
		return err
	})
	return v, err
}

// Close releases the database and then the lock, in that order, so that the
// next opener never finds Badger's files still in use.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	if s.lock != nil {
		err = errors.Join(err, s.lock.release())
		s.lock = nil
	}
	return err
}

// Dir returns the directory the store was opened in.
func (s *Store) Dir() string { return s.dir }

// ReadOnly reports whether the store was opened read-only.
func (s *Store) ReadOnly() bool { return s.readOnly }

func (s *Store) view(fn func(txn *badger.Txn) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	return s.db.View(fn)
}

// maxConflictRetries bounds update's retries. Writers to the same digest
// are serialised by lockDigest, so a conflict is not expected at all; the
// retry is a safety net and the bound stops a livelock.
const maxConflictRetries = 10

// update runs fn in one read-write transaction. Badger detects at commit
// that a concurrent transaction wrote what fn read; fn is then run again
// from the start, so it must derive everything it writes from what it reads.
func (s *Store) update(fn func(txn *badger.Txn) error) error {
	if s.readOnly {
		return ErrReadOnly
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	for i := 0; ; i++ {
		err := s.db.Update(fn)
		if errors.Is(err, badger.ErrConflict) && i < maxConflictRetries {
			continue
		}
		return err
	}
}

// batch runs fn against a WriteBatch, which splits writes into as many
// transactions as Badger's size limit needs. Use it for blind writes only:
// the batch is not atomic as a whole, but Flush returns once all is durable.
func (s *Store) batch(fn func(wb *badger.WriteBatch) error) error {
	if s.readOnly {
		return ErrReadOnly
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	wb := s.db.NewWriteBatch()
	if err := fn(wb); err != nil {
		wb.Cancel()
		return err
	}
	return wb.Flush()
}

func dbKey(prefix, name string) []byte {
	return []byte(prefix + name)
}
