package environment

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// The env store is a cache.DirStore under <userCache>/envs, shared by every workspace of the
// user: one directory per store key, built in place under a lock and marked complete last,
// so a crash never leaves a half environment that looks whole and two processes wanting the
// same environment build it once. This file holds what the kind does around it for the
// command: which directories the latest builds used (engine.BuildObserver), and the store's
// size and garbage collection (engine.StoreOwner).

// envStore is the user's env store.
func envStore(userCache string) *cache.DirStore {
	return &cache.DirStore{Root: filepath.Join(userCache, "envs")}
}

// completeMarker is the file cache.DirStore writes last into a finished directory (its
// unexported completeMarker); StillValid reads it without taking the store's lock.
const completeMarker = ".isobench-complete"

// stillValid is asked before a cached environment result is replayed: the directory must
// still be there, whole, with its interpreter, and hold the environment the result describes
// (a directory removed by gc and built again by another workspace may hold another lock).
// A replay in a build is a use, so it counts for gc's least-recently-used order.
func stillValid(d *engine.Outcome, userCache, key string, blobs engine.Blobs, building bool) bool {
	if d.Status != engine.StatusOK {
		return true // a cached failure needs no directory
	}
	dir := artifact.EnvDir(userCache, key)
	for _, p := range []string{filepath.Join(dir, completeMarker), artifact.PythonIn(dir)} {
		if _, err := os.Stat(p); err != nil { // Stat follows the link to the base interpreter
			return false
		}
	}
	rec, err := readRecord(dir)
	if err != nil {
		return false
	}
	if blobs != nil {
		data, err := blobs.Get(d.Outputs[artifact.EnvironmentOutput])
		var env artifact.Environment
		if err != nil || json.Unmarshal(data, &env) != nil || env.LockDigest != rec.LockDigest {
			return false
		}
	}
	if building {
		_ = envStore(userCache).Touch(key)
	}
	return true
}

// usedDir holds one record per workspace: the store keys the latest build of each of its
// environment actions used.
const usedDir = ".used"

type usedRecord struct {
	Workspace string    `json:"workspace"` // root directory
	Time      time.Time `json:"time"`
	Keys      []string  `json:"keys"`
	// ByAction maps each environment action's ID to the store key its latest build used. A
	// build that walks only some of the workspace (one benchmark) replaces only theirs, as
	// the cache keeps each action's latest result: gc keeps what every action last used.
	ByAction map[string]string `json:"by_action,omitempty"`
}

// BuildDone implements engine.BuildObserver: it records the environments the build used, so
// that gc keeps them, merged with what the workspace's earlier builds recorded for the
// environment actions this build did not walk.
func (Kind) BuildDone(b *engine.FinishedBuild) error {
	used, walked := usedByAction(b.Visits, b.Store)
	id := b.Workspace.ID()
	if prev, ok := readUse(b.UserCache, id); ok {
		for action, key := range prev.ByAction {
			if !walked[action] {
				used[action] = key
			}
		}
	}
	keys := slices.Sorted(maps.Values(used))
	keys = slices.Compact(keys)
	if err := writeUse(b.UserCache, id, usedRecord{Workspace: b.Workspace.Root, Time: time.Now().UTC(), Keys: keys, ByAction: used}); err != nil {
		return fmt.Errorf("recording which environments this build used: %w", err)
	}
	return nil
}

// usedByAction maps the environment actions a build's visits hold to their store keys, and
// lists every environment action the build walked, whatever became of it.
func usedByAction(visits map[*engine.Action]*engine.Visit, blobs engine.Blobs) (used map[string]string, walked map[string]bool) {
	used, walked = map[string]string{}, map[string]bool{}
	for a, v := range visits {
		if a.Mnemonic != "environment" {
			continue
		}
		walked[a.ID] = true
		if k := storeKeyOf(v, blobs); k != "" {
			used[a.ID] = k
		}
	}
	return used, walked
}

// readUse reads a workspace's record, if there is one that parses.
func readUse(userCache, workspaceID string) (usedRecord, bool) {
	var rec usedRecord
	data, err := os.ReadFile(filepath.Join(envStore(userCache).Root, usedDir, workspaceID+".json"))
	if err != nil || json.Unmarshal(data, &rec) != nil {
		return rec, false
	}
	return rec, true
}

// storeKeyOf is the store key of the environment a visit of an environment action holds, or
// "" when it holds none.
func storeKeyOf(v *engine.Visit, blobs engine.Blobs) string {
	if v == nil || v.Outcome == nil || v.Outcome.Status != engine.StatusOK {
		return ""
	}
	dg, ok := v.Outcome.Outputs[artifact.EnvironmentOutput]
	if !ok {
		return ""
	}
	data, err := blobs.Get(dg)
	var env artifact.Environment
	if err != nil || json.Unmarshal(data, &env) != nil {
		return ""
	}
	return env.StoreKey
}

// writeUse writes a workspace's record of the environments its latest build used, which gc
// never removes; workspaceID names the workspace (engine.Workspace.ID). It removes the records
// other IDs of the same workspace left (a workspace named after its directory before it had
// a name).
func writeUse(userCache, workspaceID string, rec usedRecord) error {
	dir := filepath.Join(envStore(userCache).Root, usedDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			id, ok := strings.CutSuffix(e.Name(), ".json")
			if !ok || id == workspaceID {
				continue
			}
			if old, ok := readUse(userCache, id); ok && old.Workspace == rec.Workspace {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	// Written aside and renamed, so that a gc reading it never sees half a list.
	return engine.WriteFileAtomic(filepath.Join(dir, workspaceID+".json"), data)
}

// protectedKeys reads every workspace's record. A record whose workspace directory no
// longer exists protects nothing: that workspace will not build again.
func protectedKeys(userCache string) (map[string]bool, error) {
	dir := filepath.Join(envStore(userCache).Root, usedDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, e := range ents {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var rec usedRecord
		if json.Unmarshal(data, &rec) != nil {
			continue
		}
		if _, err := os.Stat(rec.Workspace); err != nil {
			continue
		}
		for _, k := range rec.Keys {
			keep[k] = true
		}
	}
	return keep, nil
}

// StoreUsage implements engine.StoreOwner: how many environments the store holds, and how
// large they are, for `isobench status`.
func (Kind) StoreUsage(userCache string) (engine.StoreUsage, error) {
	store := envStore(userCache)
	infos, err := store.List()
	if err != nil {
		return engine.StoreUsage{}, err
	}
	u := engine.StoreUsage{Name: "environments", Root: store.Root, Items: len(infos)}
	for _, info := range infos {
		u.Bytes += info.Bytes
	}
	return u, nil
}

// CollectGarbage implements engine.StoreOwner: gc on the env store, for `isobench gc`.
func (Kind) CollectGarbage(userCache string, o engine.StoreGCOptions) (*engine.StoreGC, error) {
	rep, err := gc(userCache, gcOptions{OlderThan: o.OlderThan, MaxBytes: o.MaxBytes, DryRun: o.DryRun})
	if err != nil {
		return nil, err
	}
	out := &engine.StoreGC{Name: "environments", Item: "environment", Busy: len(rep.Busy), Kept: rep.Kept,
		BytesFreed: rep.BytesFreed, BytesLeft: rep.BytesLeft}
	for _, info := range rep.Removed {
		out.Removed = append(out.Removed, engine.RemovedItem{Key: info.Key, Bytes: info.Bytes, LastUsed: info.LastUsed})
	}
	return out, nil
}

// gcOptions say what gc may remove.
type gcOptions struct {
	// OlderThan removes environments not used for this long. Zero sets no age limit.
	OlderThan time.Duration
	// MaxBytes then removes environments, least recently used first, until the store holds
	// at most this many bytes. Zero sets no budget.
	MaxBytes int64
	// Keep lists store keys never removed, besides those of every workspace's latest build.
	Keep map[string]bool
	// DryRun reports what would be removed and removes nothing.
	DryRun bool
	// Now is the time OlderThan counts back from; zero means time.Now().
	Now time.Time
}

// gcReport says what gc removed, or would remove.
type gcReport struct {
	Removed    []cache.DirInfo // least recently used first; incomplete ones first of all
	Busy       []string        // keys that were in use and stayed
	Kept       int             // environments a workspace's latest build used, never removed
	BytesFreed int64
	BytesLeft  int64 // what the store holds afterwards (or would, in a dry run)
}

// gc removes environments by the rules of o: incomplete directories left by builds that
// died, then complete ones unused for o.OlderThan, then the least recently used until the
// store fits o.MaxBytes. An environment that a workspace's latest build used, or that o.Keep
// names, is never removed; nor is one being built or used right now (it is reported as busy).
func gc(userCache string, o gcOptions) (*gcReport, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	store := envStore(userCache)
	infos, err := store.List()
	if err != nil {
		return nil, fmt.Errorf("listing the env store: %w", err)
	}
	keep, err := protectedKeys(userCache)
	if err != nil {
		return nil, fmt.Errorf("reading which environments the latest builds used: %w", err)
	}
	for k := range o.Keep {
		keep[k] = true
	}
	// Incomplete first, then by last use, oldest first; by key where times tie, so that a
	// dry run and the real run agree.
	slices.SortFunc(infos, func(a, b cache.DirInfo) int {
		if a.Complete != b.Complete {
			if a.Complete {
				return 1
			}
			return -1
		}
		if c := a.LastUsed.Compare(b.LastUsed); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	rep := &gcReport{}
	for _, info := range infos {
		rep.BytesLeft += info.Bytes
	}
	remove := func(info cache.DirInfo) {
		if !o.DryRun {
			if err := store.Remove(info.Key); err != nil {
				if errors.Is(err, cache.ErrBusy) {
					rep.Busy = append(rep.Busy, info.Key)
				}
				return
			}
		}
		rep.Removed = append(rep.Removed, info)
		rep.BytesFreed += info.Bytes
		rep.BytesLeft -= info.Bytes
	}
	cutoff := o.Now.Add(-o.OlderThan)
	var rest []cache.DirInfo
	for _, info := range infos {
		switch {
		case keep[info.Key]:
			rep.Kept++
		case !info.Complete, o.OlderThan > 0 && info.LastUsed.Before(cutoff):
			remove(info)
			continue
		}
		rest = append(rest, info)
	}
	for _, info := range rest {
		if o.MaxBytes <= 0 || rep.BytesLeft <= o.MaxBytes {
			break
		}
		if !keep[info.Key] {
			remove(info)
		}
	}
	return rep, nil
}
