package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// FileLock is an advisory flock(2) lock on a file next to what it guards: an environment
// directory of the env store, a Git mirror, a worktree. flock locks belong to an open file
// description, so two goroutines of one process exclude each other as two processes do, and
// the kernel drops a lock when its holder dies: a killed build never leaves anything locked.
type FileLock struct {
	f    *os.File
	once sync.Once
}

// lockPollMax is the longest wait between tries for a held lock. flock(2) cannot be
// cancelled or given a timeout, so a wait that must end with ctx polls, starting at 10 ms and
// doubling; what a lock guards takes seconds (a fetch) to minutes (an environment build), so
// a quarter of a second of latency after it is released costs nothing.
const lockPollMax = 250 * time.Millisecond

// LockFile takes a lock of the given kind (syscall.LOCK_EX or LOCK_SH) on path, creating the
// file and its directory when needed, waiting until it is free or ctx is done.
func LockFile(ctx context.Context, path string, how int) (*FileLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	l := &FileLock{f: f}
	if err := l.Relock(ctx, how); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// TryLockFile is LockFile without waiting: ok is false when someone else holds the lock.
func TryLockFile(path string, how int) (l *FileLock, ok bool, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Relock tries once before it looks at ctx
	l, err = LockFile(ctx, path, how)
	if errors.Is(err, context.Canceled) {
		return nil, false, nil
	}
	return l, err == nil, err
}

// Relock changes the kind of lock held (shared to exclusive or back). As flock(2) says, the
// change is not atomic: another locker may get in between, so callers check again what the
// lock guards after relocking.
func (l *FileLock) Relock(ctx context.Context, how int) error {
	wait := 10 * time.Millisecond
	for {
		err := flock(l.f, how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return &os.PathError{Op: "flock", Path: l.f.Name(), Err: err}
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(wait):
		}
		wait = min(2*wait, lockPollMax)
	}
}

// Unlock releases the lock; calling it again does nothing. It unlocks before closing: a
// child forked at this moment (a test run, git) holds a copy of the descriptor until it
// execs, and the lock would live on with that copy.
func (l *FileLock) Unlock() {
	l.once.Do(func() {
		flock(l.f, syscall.LOCK_UN)
		l.f.Close()
	})
}

// flock retries on EINTR: the Go runtime's signals can interrupt the call.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
