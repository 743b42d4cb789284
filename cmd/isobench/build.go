package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/isobench/isobench/engine"
)

func cmdBuild(a *app, args []string) error {
	fs := a.flags("build", true)
	jobs := fs.Int("j", runtime.NumCPU(), "run at most `N` actions at once")
	keepGoing := fs.Bool("keep-going", false, "go on after a failure with everything that does not depend on it")
	var rerun multiFlag
	fs.Var(&rerun, "rerun", "execute actions of targets matching `PATTERN` again, keeping the old result in the history (repeatable)")
	retryFailed := fs.Bool("retry-failed", false, "execute actions whose cached result is a failure again")
	jsonOut := fs.Bool("json", false, "print a JSON summary on stdout")
	eventsFile := fs.String("events", "", "write a JSONL event per action start and finish to `FILE`")
	executorName := executorFlag(fs) // executor.go
	patterns, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := a.load(); err != nil {
		return err
	}
	labels, roots, planner, err := a.plan(patterns)
	if err != nil {
		return err
	}
	var rerunPatterns []engine.Pattern
	for _, r := range rerun {
		p, err := engine.ParsePattern(r, a.pkg)
		if err != nil {
			return usageError{fmt.Sprintf("--rerun: %s", err)}
		}
		rerunPatterns = append(rerunPatterns, p)
	}
	remote, err := a.remote()
	if err != nil {
		return err
	}
	executor, err := a.executor(*executorName)
	if err != nil {
		return err
	}
	if err := a.open("isobench build " + strings.Join(patterns, " ")); err != nil {
		return err
	}
	defer a.close()

	rootList := inOrder(labels, roots)
	all := engine.Closure(rootList)
	total := len(all)
	human := a.stdout
	if *jsonOut {
		human = a.stderr
	}
	display := newDisplay(human, total)
	handlers := engine.Handlers{display}
	if *eventsFile != "" {
		f, err := os.Create(*eventsFile)
		if err != nil {
			return fmt.Errorf("cannot write the event log: %w", err)
		}
		defer f.Close()
		handlers = append(handlers, newEventLog(f))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	summary, visits, err := engine.Run(ctx, rootList, engine.Options{
		Store: a.store, Workspace: a.ws, UserCache: engine.UserCacheDir(),
		Jobs: *jobs, GPUs: machineGPUs(), Pools: planner.Pools(),
		KeepGoing: *keepGoing, Rerun: rerunPatterns, RetryFailed: *retryFailed,
		Handler: handlers, DebugKeys: debugKeys(), Remote: remote,
		Executor: executor,
	})
	display.close()
	if err != nil {
		return fmt.Errorf("the cache failed: %w", err)
	}
	// Kinds record what lives outside the cache, such as the environments gc must keep.
	finished := &engine.FinishedBuild{Workspace: a.ws, UserCache: engine.UserCacheDir(), Visits: visits, Store: a.store}
	for _, o := range kindsWith[engine.BuildObserver]() {
		if err := o.BuildDone(finished); err != nil {
			fmt.Fprintf(a.stderr, "isobench: warning: %s\n", err)
		}
	}
	rows := resultRows(a.ws, all, visits, a.store)
	printResults(human, rows)
	printSummary(human, summary, ctx.Err() != nil)
	if *jsonOut {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			*engine.Summary
			Results []engine.ResultRow `json:"results"`
		}{summary, rows})
	}
	switch {
	case ctx.Err() != nil:
		return failure{exitFailed}
	case summary.Failed > 0 || summary.Blocked > 0 || summary.NotRun > 0:
		return failure{exitFailed}
	}
	return nil
}
