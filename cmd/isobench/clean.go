package main

import (
	"fmt"
	"maps"
	"slices"
)

// cmdClean removes the workspace's cache entries. They include recorded results (a model's
// answers, measurements) that the next build pays for again, so without --yes it only says
// what it would remove.
func cmdClean(a *app, args []string) error {
	fs := a.flags("clean", true)
	yes := fs.Bool("yes", false, "remove them: without it, clean lists what it would remove and removes nothing")
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
	if !*yes {
		st, err := a.store.Stats()
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "clean would remove every cache entry of %s (%s): %d entries and %d older results (%.1f MiB on disk)\n",
			a.ws.Root, a.store.Dir(), st.Entries, st.HistoryEntries, mib(st.DiskBytes))
		for _, k := range slices.Sorted(maps.Keys(st.ByMnemonic)) {
			fmt.Fprintf(a.stdout, "  %-12s %d\n", k, st.ByMnemonic[k])
		}
		fmt.Fprintln(a.stdout, "Among them are recorded results, a model's answers and measurements: the next build executes them again, and pays for them again.")
		return usageError{"nothing removed\nhint: isobench clean --yes removes them; isobench gc removes only what is old or unused"}
	}
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
