package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"
)

// A Stamp says how a file or directory the loader read looked when it read it, so that a
// later build can tell, without reading it again, that it is unchanged (record.go). It is
// what ninja and make trust, and a little more: size, modification and change times, inode
// and mode, so that a file replaced by another (a rename, a checkout) or touched back to its
// old time is seen as changed.
//
// A directory's stamp stands for its list of names: adding, removing or renaming a
// BUILD.hcl (or an isobench.hcl that makes a directory another workspace) changes its
// modification time.
type Stamp struct {
	Path    string
	Dir     bool
	Size    int64
	ModTime int64 // Unix nanoseconds
	Change  int64 // Unix nanoseconds of the inode's last change; 0 where the system has none
	Inode   uint64
	Mode    uint32
	// Sum, when set, is the SHA-256 of the content (of a directory: of its sorted names). It
	// is taken for a racy stamp: one whose times are so close to the moment it was taken that
	// a change within the filesystem's timestamp resolution could leave them as they were.
	// Then the content decides, as git decides for racily clean index entries.
	Sum string
}

// racyWindow is how close to the moment of stamping a file's times must be for its stamp to
// need a content sum. Ext4 and XFS keep nanoseconds, but the clock they read ticks at the
// kernel's jiffy (up to 10 ms), and other filesystems keep 1 s (HFS+) or 2 s (FAT).
// A variable only so that a test can take stamps that are not racy.
var racyWindow = 2 * time.Second

// StampOf stats path. The stamp is taken before the content is read: a change between the
// two makes the stamp older than what was read, so the next build sees a change and reads
// again, never the other way round. A kind that puts a file's identity in a machine fact
// (MachineProber) stamps it so too: a file replaced, rewritten or touched gets another stamp.
func StampOf(path string) (Stamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Stamp{}, err
	}
	st := Stamp{Path: path, Dir: fi.IsDir(), Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), Mode: uint32(fi.Mode())}
	st.Change, st.Inode = sysStamp(fi) // stamp_linux.go, stamp_other.go
	if st.Dir {
		st.Size = 0 // a directory's size says nothing its time does not, and varies by filesystem
	}
	now := time.Now().UnixNano()
	if now-st.ModTime < int64(racyWindow) || now-st.Change < int64(racyWindow) {
		sum, err := contentSum(path, st.Dir)
		if err != nil {
			return Stamp{}, err
		}
		st.Sum = sum
	}
	return st, nil
}

// contentSum is the SHA-256 of a file, or of a directory's sorted names.
func contentSum(path string, dir bool) (string, error) {
	var data []byte
	if dir {
		entries, err := os.ReadDir(path)
		if err != nil {
			return "", err
		}
		var b bytes.Buffer
		for _, e := range entries {
			b.WriteString(e.Name())
			b.WriteByte(0)
		}
		data = b.Bytes()
	} else {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return "", err
		}
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// Unchanged reports whether the file or directory still looks as the stamp says. A racy
// stamp is confirmed by its content.
func (s Stamp) Unchanged() bool {
	fi, err := os.Stat(s.Path)
	if err != nil || fi.IsDir() != s.Dir || uint32(fi.Mode()) != s.Mode || fi.ModTime().UnixNano() != s.ModTime {
		return false
	}
	if !s.Dir && fi.Size() != s.Size {
		return false
	}
	if change, inode := sysStamp(fi); change != s.Change || inode != s.Inode {
		return false
	}
	if s.Sum == "" {
		return true
	}
	sum, err := contentSum(s.Path, s.Dir)
	return err == nil && sum == s.Sum
}

// inputLog gathers the stamps of what one workspace's loading and evaluation read: the HCL
// files, the directories searched for BUILD.hcl, and the files file() and templatefile()
// read, late ones (read while an action is prepared) included. A path it could not stamp
// makes it incomplete, and an incomplete log vouches for nothing.
type inputLog struct {
	mu         sync.Mutex
	stamps     map[string]Stamp
	incomplete bool
}

func newInputLog() *inputLog { return &inputLog{stamps: map[string]Stamp{}} }

// saw stamps path before it is read. The first stamp of a path is kept: it is the one taken
// before the first read.
func (l *inputLog) saw(path string) {
	if l == nil {
		return
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	l.mu.Lock()
	_, seen := l.stamps[path]
	l.mu.Unlock()
	if seen {
		return
	}
	st, err := StampOf(path)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.incomplete = true
		return
	}
	if _, seen := l.stamps[path]; !seen {
		l.stamps[path] = st
	}
}

// list returns the stamps by path; ok is false when some path could not be stamped.
func (l *inputLog) list() (stamps []Stamp, ok bool) {
	if l == nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	stamps = slices.Collect(maps.Values(l.stamps))
	sort.Slice(stamps, func(i, j int) bool { return stamps[i].Path < stamps[j].Path })
	return stamps, !l.incomplete
}
