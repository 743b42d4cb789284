package cache

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// A full disk must be an error, not a crash. Badger writes its memtable log, value log and
// tables through memory maps of files it first extends without allocating them (sparse
// files); when the filesystem has no block left for a page written there, the kernel sends
// SIGBUS, and the Go runtime dies in Badger's goroutine with "fatal error: fault" and a dump
// of every goroutine, since no recover can catch a fault outside the goroutine that set
// debug.SetPanicOnFault. An mmap write cannot return ENOSPC, so the check comes first:
// every write that makes the store grow asks for room before Badger sees it.

// DiskFullError is a write refused because the cache's filesystem is nearly full.
type DiskFullError struct {
	Path string // the store's directory
	Free uint64 // bytes available to isobench there
}

func (e *DiskFullError) Error() string {
	return fmt.Sprintf("the cache's disk is full (%d MB free at %s)", e.Free/1e6, e.Path)
}

// IsDiskFull reports whether err is, or wraps, a DiskFullError.
func IsDiskFull(err error) bool {
	var d *DiskFullError
	return errors.As(err, &d)
}

// diskReserve is the room always left free for what Badger writes on its own after a
// write returns: a full 16 MiB memtable flushed into a table, and a level-0 compaction that
// writes its new tables before it deletes the old (badgerOptions: 16 MiB memtables, two of
// them). 64 MiB covers both with room to spare; on a disk with less free, storing stops
// with an error while reading goes on.
const diskReserve = 64 << 20

// freeBytes is the space available to this process under dir. Tests replace it to stand
// for a disk that fills at a chosen moment.
var freeBytes = func(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// room returns a DiskFullError unless a write of n bytes fits with diskReserve to spare.
// The write is counted twice: a small value goes to the memtable log and then into a table,
// a large one to the value log, and either may be rewritten by compaction before the old
// copy goes.
func (s *Store) room(n int) error {
	free, err := freeBytes(s.dir)
	if err != nil {
		return nil // cannot tell: let the write try, as before the check
	}
	if free < diskReserve+2*uint64(n) {
		return &DiskFullError{Path: s.dir, Free: free}
	}
	return nil
}
