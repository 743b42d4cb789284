package gitrepo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// fileLock is an advisory flock(2) lock on a file next to what it guards. flock locks belong
// to an open file description, so two goroutines of one process exclude each other as two
// processes do, and the kernel drops a lock when its holder dies: a killed build never leaves
// a mirror locked.
type fileLock struct {
	f    *os.File
	once sync.Once
}

// lockPollInterval is how often a waiting locker retries. flock cannot be interrupted by a
// context, so waiting is polling with LOCK_NB; fetches take seconds, so 50 ms of extra wait
// is lost in them, while 20 wakeups a second cost nothing.
const lockPollInterval = 50 * time.Millisecond

// lockFile takes a lock of the given kind (syscall.LOCK_EX or LOCK_SH) on path, creating the
// file and its directory when needed, waiting until it is free or ctx is done.
func lockFile(ctx context.Context, path string, how int) (*fileLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	l := &fileLock{f: f}
	if err := l.relock(ctx, how); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// relock changes the kind of lock held (shared to exclusive or back). As flock(2) says, the
// change is not atomic: another locker may get in between, so callers check again what the
// lock guards after relocking.
func (l *fileLock) relock(ctx context.Context, how int) error {
	for {
		err := syscall.Flock(int(l.f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return &os.PathError{Op: "flock", Path: l.f.Name(), Err: err}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lockPollInterval):
		}
	}
}

// unlock releases the lock; calling it again does nothing.
func (l *fileLock) unlock() {
	l.once.Do(func() {
		syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
	})
}
