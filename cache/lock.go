package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockFileName is our own lock next to Badger's directory. Badger keeps a
// pid file of its own, but its lock error is a wrapped string that names
// neither the owner nor the time, and it cannot tell a reader from a writer.
const lockFileName = "LOCK"

// lockInfo is what the holder of the lock writes into the lock file, so that
// the process that is turned away can say who is in the way.
type lockInfo struct {
	PID   int       `json:"pid"`
	Owner string    `json:"owner,omitempty"`
	Since time.Time `json:"since"`
}

// LockedError is returned by Open when another process holds the store.
type LockedError struct {
	Dir      string
	PID      int       // 0 when the holder left no readable record
	Owner    string    // as passed in Options.Owner by the holder
	Since    time.Time // when the holder opened the store
	ReadOnly bool      // readers (status, why) hold it; they leave no record, so no PID
}

func (e *LockedError) Error() string {
	var what []string
	if e.ReadOnly {
		what = append(what, "reading it")
	}
	if e.PID != 0 {
		what = append(what, fmt.Sprintf("pid %d", e.PID))
	}
	if e.Owner != "" {
		what = append(what, fmt.Sprintf("%q", e.Owner))
	}
	if !e.Since.IsZero() {
		since, layout := e.Since.Local(), "15:04:05"
		if since.Format(time.DateOnly) != time.Now().Format(time.DateOnly) {
			layout = time.DateTime // a lock from another day is worth noticing
		}
		what = append(what, "since "+since.Format(layout))
	}
	msg := fmt.Sprintf("the cache at %s is in use by another isobench process", e.Dir)
	if len(what) > 0 {
		msg += " (" + strings.Join(what, ", ") + ")"
	}
	return msg
}

// storeLock is a held flock on dir/LOCK. The kernel drops a flock when its
// holder dies, even by SIGKILL, so a lock file left behind by a killed build
// is only a file: it never blocks the next opener.
//
// A writer holds the lock exclusively and writes its record into the file;
// readers share the lock with each other and write nothing, since several
// may hold it at once. So the record always describes the last writer, and
// who holds the lock now is asked of the lock itself: see waitForLock.
type storeLock struct {
	f *os.File
}

// lockExclusive takes the writer's lock: at most one process at a time
// mutates the store.
func lockExclusive(dir string, opts Options) (*storeLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening cache lock: %w", err)
	}
	if err := waitForLock(dir, f, syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	l := &storeLock{f: f}
	l.record(opts)
	return l, nil
}

// lockShared takes a reader's lock, which excludes writers only.
func lockShared(dir string) (*storeLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		// A store we may read but not write (another user's, a read-only
		// mount): flock works on a read-only descriptor too.
		if f, err = os.Open(path); err != nil {
			return nil, fmt.Errorf("opening cache lock: %w", err)
		}
	}
	if err := waitForLock(dir, f, syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, err
	}
	return &storeLock{f: f}, nil
}

// readerWait is how long a writer waits for readers to let go. Readers are
// status and why, which hold the store for about a second; a build started
// meanwhile should wait that out rather than fail. A writer in the way is not
// waited for: builds take hours.
var readerWait = 5 * time.Second

// recordWait is how long an opener turned away by a writer waits for that
// writer's record. The record is written just after the lock is taken, so
// in that instant the file still describes the previous writer, who is
// usually gone.
const recordWait = time.Second

// waitForLock takes the lock in mode how (LOCK_EX or LOCK_SH) without
// blocking in flock, which cannot be timed out, and decides who is in the
// way when it fails: if a shared lock can be had, only readers hold it.
func waitForLock(dir string, f *os.File, how int) error {
	start := time.Now()
	for {
		err := flock(f, how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("locking cache: %w", err)
		}
		readers := how == syscall.LOCK_EX && flock(f, syscall.LOCK_SH|syscall.LOCK_NB) == nil
		if readers {
			flock(f, syscall.LOCK_UN)
			if time.Since(start) > readerWait {
				return &LockedError{Dir: dir, ReadOnly: true}
			}
		} else {
			le := readRecord(dir, f)
			if le.PID != 0 && alive(le.PID) || time.Since(start) > recordWait {
				return le
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// record writes who holds the lock, for the message of whoever is turned
// away. It overwrites in place and then trims, rather than truncating
// first, so that a concurrent reader never finds the file empty.
func (l *storeLock) record(opts Options) {
	data, _ := json.Marshal(lockInfo{PID: os.Getpid(), Owner: opts.Owner, Since: time.Now()})
	data = append(data, '\n')
	if _, err := l.f.WriteAt(data, 0); err == nil {
		l.f.Truncate(int64(len(data)))
	}
}

func (l *storeLock) release() error {
	// Unlock explicitly before closing: a child forked at this moment (a test run, git) holds
	// a copy of the descriptor until it execs, and the flock would live on with that copy.
	flock(l.f, syscall.LOCK_UN)
	return l.f.Close()
}

// readRecord describes the writer that holds the lock from its record. A
// record that cannot be read gives a message without details, not an error.
func readRecord(dir string, f *os.File) *LockedError {
	e := &LockedError{Dir: dir}
	var info lockInfo
	// Decode reads one value and ignores what follows, should a longer old
	// record not be trimmed yet.
	if json.NewDecoder(io.NewSectionReader(f, 0, 4096)).Decode(&info) == nil {
		e.PID, e.Owner, e.Since = info.PID, info.Owner, info.Since
	}
	return e
}

// alive reports whether a process pid exists; EPERM means it does, as
// another user's.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
