package cache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DirStore keeps directories named by key under Root, shared by all the
// workspaces of a user: a Python environment for a commit is built once and
// used by every benchmark, in every workspace, that needs it.
//
// A directory is built where it will stay. A virtual environment writes its
// own absolute path into its scripts and pyvenv.cfg, so one built in a
// temporary directory and renamed into place would point at a path that no
// longer exists. Instead the builder holds an exclusive lock on the key
// while it builds at the final path, and writes the marker file
// .isobench-complete last. A directory without the marker is a build that
// was killed or failed; whoever next takes the lock removes it and builds
// again. That is the guarantee a rename would give, against process death;
// nothing is fsynced, so after a power loss a marked directory may still be
// incomplete, as with the tools that create environments.
//
// Users of a complete directory hold a shared lock on its key until they
// call done, so Remove (gc) never deletes an environment in use.
type DirStore struct{ Root string }

const (
	// completeMarker is written last: its presence means the directory is whole.
	completeMarker = ".isobench-complete"
	// dirLocksName holds one lock file per key. It starts with a dot, like
	// every name a key may not have, so no key can collide with it.
	dirLocksName = ".locks"
)

// ErrBusy is wrapped by Remove when a build or a user holds the directory.
var ErrBusy = errors.New("directory is in use")

// DirInfo describes one directory of a DirStore.
type DirInfo struct {
	Key      string
	Path     string
	Bytes    int64     // blocks in use
	LastUsed time.Time // the marker's mtime; zero when not complete
	Complete bool      // false for a build in progress or one that died
}

// Acquire returns the path of the directory named key.
//
// If it is complete, build is false and done releases the shared lock taken
// for the caller's use of it; done's argument is ignored.
//
// Otherwise Acquire waits for the key's exclusive lock (or for ctx), checks
// again, removes whatever an earlier failed build left, creates the empty
// directory and returns build true. The caller builds into dir and calls
// done(true) when it succeeded, which writes the marker, or done(false),
// which removes the directory. Either releases the lock; calls after the
// first do nothing.
func (d *DirStore) Acquire(ctx context.Context, key string) (dir string, build bool, done func(ok bool) error, err error) {
	if err := checkDirKey(key); err != nil {
		return "", false, nil, err
	}
	dir = filepath.Join(d.Root, key)
	for {
		shared, err := d.lock(ctx, key, syscall.LOCK_SH)
		if err != nil {
			return "", false, nil, err
		}
		if complete(dir) {
			return dir, false, onceDone(func(bool) error { shared.Unlock(); return nil }), nil
		}
		shared.Unlock()

		excl, err := d.lock(ctx, key, syscall.LOCK_EX)
		if err != nil {
			return "", false, nil, err
		}
		if complete(dir) {
			// Someone built it while we waited; use it under a shared lock.
			excl.Unlock()
			continue
		}
		err = os.RemoveAll(dir)
		if err == nil {
			err = os.MkdirAll(dir, 0o755)
		}
		if err != nil {
			excl.Unlock()
			return "", false, nil, fmt.Errorf("preparing %s: %w", dir, err)
		}
		return dir, true, onceDone(func(ok bool) error {
			var err error
			if ok {
				err = writeMarker(dir)
			} else {
				err = os.RemoveAll(dir)
			}
			excl.Unlock()
			return err
		}), nil
	}
}

func onceDone(f func(ok bool) error) func(ok bool) error {
	var once sync.Once
	return func(ok bool) (err error) {
		once.Do(func() { err = f(ok) })
		return err
	}
}

// Touch records that key was used now, for gc's least-recently-used order.
func (d *DirStore) Touch(key string) error {
	if err := checkDirKey(key); err != nil {
		return err
	}
	now := time.Now()
	err := os.Chtimes(filepath.Join(d.Root, key, completeMarker), now, now)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("directory %s: %w", key, ErrNotFound)
	}
	return err
}

// List describes every directory under Root, complete or not, by key.
func (d *DirStore) List() ([]DirInfo, error) {
	ents, err := os.ReadDir(d.Root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var infos []DirInfo
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info := DirInfo{Key: e.Name(), Path: filepath.Join(d.Root, e.Name())}
		if st, err := os.Stat(filepath.Join(info.Path, completeMarker)); err == nil {
			info.Complete, info.LastUsed = true, st.ModTime()
		}
		if info.Bytes, err = diskUsage(info.Path); err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	return infos, nil
}

// Remove deletes the directory named key. It does not wait: if a build or a
// user holds the key, it returns an error wrapping ErrBusy, and gc moves on.
// The marker goes first, so that a crash midway leaves an incomplete
// directory, never a complete-looking partial one.
func (d *DirStore) Remove(key string) error {
	if err := checkDirKey(key); err != nil {
		return err
	}
	l, ok, err := TryLockFile(d.lockPath(key), syscall.LOCK_EX)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("removing %s: %w", key, ErrBusy)
	}
	defer l.Unlock()
	dir := filepath.Join(d.Root, key)
	if err := os.Remove(filepath.Join(dir, completeMarker)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.RemoveAll(dir)
}

// lock takes the key's lock in mode how (LOCK_SH or LOCK_EX), waiting for it until ctx ends.
func (d *DirStore) lock(ctx context.Context, key string, how int) (*FileLock, error) {
	l, err := LockFile(ctx, d.lockPath(key), how)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("waiting for %s: %w", key, err)
	}
	return l, err
}

// lockPath is the key's lock file. It stays when the directory is removed: deleting it while
// another process has it open would let two processes lock two different files of one name.
func (d *DirStore) lockPath(key string) string {
	return filepath.Join(d.Root, dirLocksName, key+".lock")
}

func complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, completeMarker))
	return err == nil
}

func writeMarker(dir string) error {
	stamp := time.Now().UTC().Format(time.RFC3339Nano) + "\n"
	return os.WriteFile(filepath.Join(dir, completeMarker), []byte(stamp), 0o644)
}

// checkDirKey refuses keys that are not one plain directory name: a key
// becomes a path, and "..", "a/b" or ".locks" would escape or collide.
func checkDirKey(key string) error {
	if key == "" || strings.HasPrefix(key, ".") || strings.ContainsAny(key, "/\\\x00") || len(key) > 200 {
		return fmt.Errorf("invalid directory key %q", key)
	}
	return nil
}
