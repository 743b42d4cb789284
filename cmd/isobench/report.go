package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/isobench/isobench/engine"
)

// cmdReport writes one self-contained HTML page per dataset target from its cached result:
// the targets whose kind is an engine.Reporter, which only the dataset kind is. It executes
// nothing: a stale dataset is reported as its last build left it, with a warning; one never
// built is an error with a hint.
func cmdReport(a *app, args []string) error {
	fs := a.flags("report", true)
	out := fs.String("o", "", "write the page to `FILE` (default: report.html beside the dataset's files)")
	patterns, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(patterns) == 0 {
		return usageError{"report takes a pattern naming datasets, e.g. isobench report //dataset:all"}
	}
	if err := a.load(); err != nil {
		return err
	}
	labels, roots, planner, err := a.plan(patterns)
	if err != nil {
		return err
	}
	var datasets []engine.Label
	for _, l := range labels {
		if a.reporter(l) != nil {
			datasets = append(datasets, l)
		}
	}
	if len(datasets) == 0 {
		return usageError{"the pattern names no dataset target"}
	}
	if *out != "" && len(datasets) > 1 {
		return usageError{"-o names one file, but the pattern names several datasets"}
	}
	if err := a.open("isobench report"); err != nil {
		return err
	}
	defer a.close()
	rootList := inOrder(datasets, roots)
	_, outcomes, err := engine.Run(context.Background(), rootList, engine.Options{
		Store: a.store, Workspace: a.ws, UserCache: engine.UserCacheDir(), Pools: planner.Pools(), Inspect: true,
	})
	if err != nil {
		return err
	}
	for _, l := range datasets {
		var result *engine.Outcome
		if o := outcomes[roots[l]]; o != nil && o.Outcome != nil && o.Outcome.Status == engine.StatusOK {
			result = o.Outcome
		} else if e, _ := lastEntry(a.store, roots[l]); e != nil && e.Status == string(engine.StatusOK) {
			// Something it reads changed since, or cannot be known without a build (a ref
			// only a build resolves): the last build's dataset is still what a reader wants,
			// said as such.
			result = &engine.Outcome{Key: e.Key, Status: engine.StatusOK, Outputs: e.Outputs, Meta: e.Meta, Log: e.Log, Cached: true, Created: e.Created}
			fmt.Fprintf(a.stderr, "isobench: warning: %s is not up to date; the report shows its last build, of %s\nhint: isobench status %s says what changed since\n",
				l, e.Created.Local().Format(time.DateTime), l)
		} else {
			return fmt.Errorf("%s has never been built here\nhint: isobench build %s", l, l)
		}
		path := *out
		if path == "" {
			path = filepath.Join(a.ws.OutputDir(), filepath.FromSlash(l.Pkg), l.Name, "report.html")
		}
		r := a.reporter(l)
		if err := writeReport(r, a.store, l, result, path); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s: %s\n", l, path)
		if err := a.writeReportFiles(r, l, result, filepath.Dir(path)); err != nil {
			return err
		}
	}
	return nil
}

// reporter is the Reporter of target l's kind; nil when the kind writes no report.
func (a *app) reporter(l engine.Label) engine.Reporter {
	r, _ := a.ws.Kinds[a.ws.Targets[l].Kind].(engine.Reporter)
	return r
}

// writeReport renders the page first, so that one that fails to render leaves no file.
func writeReport(r engine.Reporter, blobs engine.Blobs, l engine.Label, o *engine.Outcome, path string) error {
	var page bytes.Buffer
	if err := r.WriteReport(&page, l, o, blobs); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, page.Bytes(), 0o644)
}

// writeReportFiles writes the files a page links beside it (engine.ReportFiles), each from its
// blob, into dir. A file already there is the same content (it is named by its digest, as
// every such file is) and left alone; a blob the cache no longer holds is counted and said.
func (a *app) writeReportFiles(r engine.Reporter, l engine.Label, o *engine.Outcome, dir string) error {
	rf, ok := r.(engine.ReportFiles)
	if !ok {
		return nil
	}
	files, err := rf.ReportFiles(l, o, a.store)
	if err != nil {
		return err
	}
	written, missing := 0, 0
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if !filepath.IsLocal(filepath.FromSlash(name)) {
			return fmt.Errorf("%s's report names a file outside its directory: %s", l, name)
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if _, err := os.Stat(path); err == nil {
			continue
		}
		blob, err := a.store.Get(files[name])
		if err != nil {
			missing++
			continue
		}
		if err := engine.WriteFileAtomic(path, blob); err != nil {
			return err
		}
		written++
	}
	if len(files) > 0 {
		fmt.Fprintf(a.stdout, "  and the %d files it links, beside it (%d new)\n", len(files), written)
	}
	if missing > 0 {
		fmt.Fprintf(a.stderr, "isobench: warning: %d of the files %s's report links are no longer in the cache; their links lead nowhere\n", missing, l)
	}
	return nil
}
