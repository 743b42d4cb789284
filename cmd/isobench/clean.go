package main

import (
	"fmt"
	"maps"
	"slices"
)

func cmdClean(a *app, args []string) error {
	fs := a.flags("clean", true)
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if err := a.load(); err != nil {
		return err
	}
	if err := a.open("isobench clean"); err != nil {
		return err
	}
	defer a.close()
	if err := a.store.Clean(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "removed every cache entry of %s (%s)\n", a.ws.Root, a.store.Dir())
	return nil
}

func cmdCache(a *app, args []string) error {
	fs := a.flags("cache", true)
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || rest[0] != "stats" {
		return usageError{"usage: isobench cache stats"}
	}
	if err := a.load(); err != nil {
		return err
	}
	if err := a.open("isobench cache stats"); err != nil {
		return err
	}
	defer a.close()
	st, err := a.store.Stats()
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "cache:    %s\n", a.store.Dir())
	fmt.Fprintf(a.stdout, "entries:  %d (history %d)\n", st.Entries, st.HistoryEntries)
	for _, k := range slices.Sorted(maps.Keys(st.ByMnemonic)) {
		fmt.Fprintf(a.stdout, "  %-12s %d\n", k, st.ByMnemonic[k])
	}
	for _, k := range slices.Sorted(maps.Keys(st.ByStatus)) {
		fmt.Fprintf(a.stdout, "  status %-6s %d\n", k, st.ByStatus[k])
	}
	fmt.Fprintf(a.stdout, "blobs:    %d (%.1f MiB)\n", st.Blobs, float64(st.BlobBytes)/(1<<20))
	fmt.Fprintf(a.stdout, "on disk:  %.1f MiB\n", float64(st.DiskBytes)/(1<<20))
	return nil
}
