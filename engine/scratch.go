package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/isobench/isobench/cache"
)

// Scratch directories (an action's TempDir, a sandbox's root) live in the system's temporary
// directory and are removed when their work ends. A killed isobench cannot remove its own,
// so each holds a lock file, locked while its owner lives; the next build removes every one
// whose lock it can take (SweepScratch). The kernel drops a lock with its holder, so no pid
// file can go stale, and a directory in use by another build beside this one stays.

// The prefixes of the scratch directories' names, one for each kind: newScratchDir is given
// one, and the sweep removes only directories named with one.
const (
	scratchAction  = "isobench-action-"
	scratchSandbox = "isobench-sandbox-"
)

// scratchLock is the lock file's name inside its directory.
const scratchLock = ".isobench-lock"

// newScratchDir makes a fresh directory named prefix plus a random suffix and locks it.
// release removes it and drops the lock.
func newScratchDir(prefix string) (dir string, release func(), err error) {
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	// The lock file appears under its name already locked: made and locked under another
	// name, then renamed (the lock belongs to the open file, not the name). A sweep between
	// MkdirTemp and the lock finds no lock file in a young directory and leaves it.
	lock := filepath.Join(dir, scratchLock)
	l, ok, err := cache.TryLockFile(lock+".new", syscall.LOCK_EX)
	if err == nil && !ok {
		err = fmt.Errorf("%s.new is locked by someone else", lock)
	}
	if err == nil {
		err = os.Rename(lock+".new", lock)
	}
	if err != nil {
		if l != nil {
			l.Unlock()
		}
		os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, func() {
		os.RemoveAll(dir)
		l.Unlock()
	}, nil
}

// actionTempDir makes the Exec.TempDir of a run of w, and returns what removes it: "" and
// nothing to remove when w says NoTempDir.
func actionTempDir(w *Work) (dir string, release func(), err error) {
	if w.NoTempDir {
		return "", func() {}, nil
	}
	return newScratchDir(scratchAction)
}

// legacyScratchAge is how old an unlocked scratch directory with no lock file must be before
// the sweep removes it: one left by an isobench from before the lock files, or caught between
// MkdirTemp and its lock. No action's setup takes an hour before the lock exists.
const legacyScratchAge = time.Hour

// SweepScratch removes the scratch directories that no living isobench holds: those a
// killed build left behind. It returns how many it removed.
func SweepScratch() int {
	tmp := os.TempDir()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), scratchAction) && !strings.HasPrefix(e.Name(), scratchSandbox) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		f, err := os.OpenFile(filepath.Join(dir, scratchLock), os.O_RDWR, 0)
		if err != nil {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > legacyScratchAge {
				if os.RemoveAll(dir) == nil {
					n++
				}
			}
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			if os.RemoveAll(dir) == nil {
				n++
			}
		}
		f.Close()
	}
	return n
}
