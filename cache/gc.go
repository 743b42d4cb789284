package cache

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// GCOptions say what GC may remove.
type GCOptions struct {
	// OlderThan removes entries whose last use is older than Now minus
	// OlderThan. Zero sets no age limit.
	OlderThan time.Duration
	// MaxBytes then removes entries, least recently used first, until the
	// blobs the remaining entries reference add up to at most MaxBytes.
	// Zero sets no budget.
	MaxBytes int64
	// Keep lists action keys that are never removed, typically those of the
	// current workspace's targets.
	Keep map[Digest]bool
	// DryRun reports what would be removed and removes nothing.
	DryRun bool
	// Now is the time OlderThan counts back from; zero means time.Now().
	Now time.Time
}

// GCReport says what GC removed, or would remove in a dry run.
type GCReport struct {
	Entries    []Digest // action keys, least recently used first
	Blobs      int
	BytesFreed int64 // content bytes of the removed blobs
}

// GC removes action entries, with their history and usage records, by the
// rules of o, and then every blob that no remaining entry or history record
// references.
//
// An entry's last use is the later of its last Touch and its Created time.
// Blobs are reachable only through entries: a blob the engine Put but
// referenced only from Meta or a manifest counts as unreferenced. GC must
// not run while a build in the same process is storing results; builds in
// other processes are kept out by the store's lock.
//
// Badger frees disk space lazily; GC forces it along (see reclaim), but a
// value-log file that is less than half garbage is kept as it is, so
// DiskBytes need not shrink by BytesFreed at once.
func (s *Store) GC(o GCOptions) (GCReport, error) {
	if s.readOnly && !o.DryRun {
		return GCReport{}, ErrReadOnly
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	u, err := s.scanUsage()
	if err != nil {
		return GCReport{}, fmt.Errorf("gc: %w", err)
	}

	var rep GCReport
	order := u.leastRecentlyUsed()
	removed := make(map[Digest]bool)
	remove := func(k Digest) {
		removed[k] = true
		rep.Entries = append(rep.Entries, k)
		u.release(k)
	}
	if o.OlderThan > 0 {
		cutoff := o.Now.Add(-o.OlderThan)
		for _, k := range order {
			if !o.Keep[k] && u.lastUse[k].Before(cutoff) {
				remove(k)
			}
		}
	}
	if o.MaxBytes > 0 {
		for _, k := range order {
			if u.liveBytes <= o.MaxBytes {
				break
			}
			if !o.Keep[k] && !removed[k] {
				remove(k)
			}
		}
	}
	var deadBlobs []Digest
	for d, n := range u.sizes {
		if u.refs[d] == 0 {
			deadBlobs = append(deadBlobs, d)
			rep.BytesFreed += n
		}
	}
	rep.Blobs = len(deadBlobs)
	if o.DryRun {
		return rep, nil
	}

	err = s.batch(func(wb *badger.WriteBatch) error {
		var keys [][]byte
		for _, k := range rep.Entries {
			keys = append(keys, dbKey(prefixEntry, string(k)), dbKey(prefixUsed, string(k)))
			keys = append(keys, u.histKeys[k]...)
		}
		keys = append(keys, u.orphans...)
		for _, d := range deadBlobs {
			keys = append(keys, dbKey(prefixBlob, string(d)), dbKey(prefixBlobSize, string(d)))
		}
		for _, k := range keys {
			if err := wb.Delete(k); err != nil {
				return err
			}
		}
		if len(keys) == 0 {
			return nil
		}
		return bumpGeneration(wb)
	})
	if err != nil {
		return GCReport{}, fmt.Errorf("gc: %w", err)
	}
	s.reclaim()
	return rep, nil
}

// usage is what GC knows about a store: when each action key was last used,
// and which blobs each one holds on to.
type usage struct {
	lastUse   map[Digest]time.Time
	holds     map[Digest][]Digest // action key -> blobs of its entry and history, repeats kept
	histKeys  map[Digest][][]byte
	refs      map[Digest]int // blob -> number of holds on it
	sizes     map[Digest]int64
	liveBytes int64    // bytes of the blobs with a hold on them
	orphans   [][]byte // history and usage records of keys with no entry
}

func (s *Store) scanUsage() (*usage, error) {
	u := &usage{
		lastUse:  map[Digest]time.Time{},
		holds:    map[Digest][]Digest{},
		histKeys: map[Digest][][]byte{},
		refs:     map[Digest]int{},
		sizes:    map[Digest]int64{},
	}
	err := s.view(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		// Entries first: the other records are only read for keys that have one.
		for _, p := range []string{prefixEntry, prefixHistory, prefixUsed, prefixBlobSize} {
			for it.Seek([]byte(p)); it.ValidForPrefix([]byte(p)); it.Next() {
				item := it.Item()
				name := strings.TrimPrefix(string(item.Key()), p)
				var err error
				switch p {
				case prefixEntry:
					var e Entry
					err = item.Value(func(v []byte) error { return json.Unmarshal(v, &e) })
					k := Digest(name)
					u.lastUse[k] = e.Created
					u.holds[k] = append(u.holds[k], e.blobs()...)
				case prefixHistory:
					k, _, _ := strings.Cut(name, "/")
					if _, ok := u.lastUse[Digest(k)]; !ok {
						u.orphans = append(u.orphans, item.KeyCopy(nil))
						continue
					}
					var e Entry
					err = item.Value(func(v []byte) error { return json.Unmarshal(v, &e) })
					u.holds[Digest(k)] = append(u.holds[Digest(k)], e.blobs()...)
					u.histKeys[Digest(k)] = append(u.histKeys[Digest(k)], item.KeyCopy(nil))
				case prefixUsed:
					k := Digest(name)
					last, ok := u.lastUse[k]
					if !ok {
						u.orphans = append(u.orphans, item.KeyCopy(nil))
						continue
					}
					err = item.Value(func(v []byte) error {
						if t := decodeTime(v); t.After(last) {
							u.lastUse[k] = t
						}
						return nil
					})
				case prefixBlobSize:
					err = item.Value(func(v []byte) error {
						u.sizes[Digest(name)] = int64(decodeUint(v))
						return nil
					})
				}
				if err != nil {
					return fmt.Errorf("reading %s: %w", item.Key(), err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, ds := range u.holds {
		for _, d := range ds {
			u.refs[d]++
		}
	}
	for d, n := range u.sizes {
		if u.refs[d] > 0 {
			u.liveBytes += n
		}
	}
	return u, nil
}

// leastRecentlyUsed orders the action keys by last use, oldest first, and
// by key where times tie, so that a dry run and the real run agree.
func (u *usage) leastRecentlyUsed() []Digest {
	keys := make([]Digest, 0, len(u.lastUse))
	for k := range u.lastUse {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b Digest) int {
		if c := u.lastUse[a].Compare(u.lastUse[b]); c != 0 {
			return c
		}
		return strings.Compare(string(a), string(b))
	})
	return keys
}

// release drops k's holds on its blobs, and counts the bytes of the blobs
// nothing holds any more as gone.
func (u *usage) release(k Digest) {
	for _, d := range u.holds[k] {
		u.refs[d]--
		if u.refs[d] == 0 {
			u.liveBytes -= u.sizes[d]
		}
	}
	u.holds[k] = nil
}

// valueLogGCRounds bounds how many value-log files one GC rewrites, so
// that a trim does not turn into a copy of the whole cache.
const valueLogGCRounds = 16

// keyCompact is written only to be dropped again: see reclaim.
const keyCompact = "meta/compact"

// reclaim gives the disk space of deleted records back, which Badger does
// not do on its own promptly. A deleted blob's bytes sit in a value-log file
// until that file is rewritten, which Badger does only for files its
// compactions have found to be mostly garbage; and the deletions are still
// in the memtable, which no compaction sees. Badger has no call to flush the
// memtable, but DropPrefix of a prefix that exists flushes every memtable and
// compacts level 0 into the levels below, which drops the shadowed values and
// records them as garbage. A value-log GC can then rewrite the files.
// Best effort: an error leaves space unreclaimed, never data lost.
func (s *Store) reclaim() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return
	}
	err := s.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(keyCompact), nil) })
	if err == nil {
		err = s.db.DropPrefix([]byte(keyCompact))
	}
	if err != nil {
		return
	}
	for range valueLogGCRounds {
		if s.db.RunValueLogGC(0.5) != nil {
			return
		}
	}
}
