package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/dataset"
	"github.com/isobench/isobench/rules/dataset/report"
)

// cmdReport writes one self-contained HTML page per dataset target from its cached result.
// It executes nothing: a dataset that is not built (or stale) is an error with a hint.
func cmdReport(a *app, args []string) error {
	fs := a.flags("report", true)
	out := fs.String("o", "", "write the page here (default: report.html beside the dataset's files)")
	patterns, err := parseInterspersed(fs, args)
	if err != nil {
		return failure{exitUsage}
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
		if a.ws.Targets[l].Kind == dataset.Name {
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
		o := outcomes[roots[l]]
		if o == nil || o.Outcome == nil || o.Outcome.Status != engine.StatusOK {
			return fmt.Errorf("%s has no up-to-date result\nhint: isobench build %s", l, l)
		}
		path := *out
		if path == "" {
			path = filepath.Join(a.ws.OutputDir(), filepath.FromSlash(l.Pkg), l.Name, "report.html")
		}
		if err := writeReport(a.store, l, o.Outcome, path); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s: %s\n", l, path)
	}
	return nil
}

func writeReport(store *cache.Store, l engine.Label, done *engine.Outcome, path string) error {
	data, err := store.Get(done.Outputs[dataset.OutputJSONL])
	if err != nil {
		return fmt.Errorf("reading %s's records: %w", l, err)
	}
	records, err := dataset.ReadJSONL(bytes.NewReader(data))
	if err != nil {
		return err
	}
	logs := map[string][]byte{}
	for _, d := range report.LogDigests(records) {
		if blob, err := store.Get(cache.Digest(d)); err == nil {
			logs[d] = blob
		}
	}
	var page bytes.Buffer
	if err := report.Write(&page, l.String(), records, logs); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, page.Bytes(), 0o644)
}
