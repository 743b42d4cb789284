package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
)

// cmdGC trims the workspace's cache and the per-user stores the kinds own (the environments):
// what was not used for --older-than goes first, then the least recently used until each
// fits --max-size. Nothing the latest build of any workspace used is removed.
func cmdGC(a *app, args []string) error {
	fs := a.flags("gc", true)
	olderThan := fs.Duration("older-than", 30*24*time.Hour, "remove what was not used for this long; 0s removes everything the latest builds did not use")
	maxSize := fs.String("max-size", "", "then remove the least recently used until the store fits in `SIZE`, e.g. 50G (default: no budget)")
	dryRun := fs.Bool("dry-run", false, "list what would be removed and remove nothing")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *olderThan <= 0 {
		// The stores read zero as "no age limit"; a user writing 0s means "older than now".
		*olderThan = time.Nanosecond
	}
	budget, err := parseSize(*maxSize)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := a.load(); err != nil {
		return err
	}
	if err := a.open("isobench gc"); err != nil {
		return err
	}
	defer a.close()
	keep, err := latestBuildKeys(a.store)
	if err != nil {
		return err
	}
	verb := "removed"
	if *dryRun {
		verb = "would remove"
	}
	rep, err := a.store.GC(cache.GCOptions{OlderThan: *olderThan, MaxBytes: budget, Keep: keep, DryRun: *dryRun})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "cache: %s %d entries and %d blobs (%.1f MiB); kept the %d results the latest build of each action used\n",
		verb, len(rep.Entries), rep.Blobs, mib(rep.BytesFreed), len(keep))
	for _, owner := range kindsWith[engine.StoreOwner]() {
		g, err := owner.CollectGarbage(engine.UserCacheDir(), engine.StoreGCOptions{OlderThan: *olderThan, MaxBytes: budget, DryRun: *dryRun})
		if err != nil {
			return err
		}
		for _, r := range g.Removed {
			fmt.Fprintf(a.stdout, "  %s %s %s (%.1f MiB, last used %s)\n", verb, g.Item, r.Key, mib(r.Bytes), r.LastUsed.Format(time.DateTime))
		}
		fmt.Fprintf(a.stdout, "%s: %s %d (%.1f MiB); kept %d that the latest builds used and %d busy in a running build; %.1f MiB left\n",
			g.Name, verb, len(g.Removed), mib(g.BytesFreed), g.Kept, g.Busy, mib(g.BytesLeft))
	}
	return nil
}

// mib is a size in MiB, for gc's and status's lines.
func mib(bytes int64) float64 { return float64(bytes) / (1 << 20) }

// latestBuildKeys are the keys the last build of each action used, from the manifests.
func latestBuildKeys(store *cache.Store) (map[cache.Digest]bool, error) {
	manifests, err := store.Manifests("")
	if err != nil {
		return nil, err
	}
	keep := map[cache.Digest]bool{}
	for _, raw := range manifests {
		var m engine.Manifest
		if json.Unmarshal(raw, &m) == nil && m.Key != "" {
			keep[m.Key] = true
		}
	}
	return keep, nil
}

// parseSize reads "500M", "50G", "1T" or a number of bytes.
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	mult := int64(1)
	switch strings.ToUpper(s[len(s)-1:]) {
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	case "T":
		mult = 1 << 40
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--max-size %q is not a size such as 500M or 50G", s)
	}
	return int64(n * float64(mult)), nil
}
