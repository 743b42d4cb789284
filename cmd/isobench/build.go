package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	owner := "isobench build " + strings.Join(patterns, " ")
	// A build that repeats the last one of the same request answers from its record when
	// nothing it read changed (record.go). --rerun always executes, and ISOBENCH_DEBUG=keys
	// must print the descriptions only preparing makes.
	req := a.newRequest("build", args)
	if len(rerun) == 0 && debugKeys() == nil {
		if rec := req.readRecord(engine.RecordBuild); rec != nil && a.openRecorded(rec, owner) {
			defer a.close()
			a.answered()
			return a.replayBuild(rec, *jsonOut, *eventsFile)
		}
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
	if err := a.open(owner); err != nil {
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
	display, handlers, closeEvents, err := buildHandlers(human, total, *eventsFile)
	if err != nil {
		return err
	}
	defer closeEvents()

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
	a.buildDone(visits)
	rows := resultRows(a.ws, all, visits, a.store)
	// Only a build that ran everything here, with no remote cache and nothing forced, and
	// whose outcome is all cached entries, is recorded (engine/record.go), with its result
	// table as a build that replays every result prints it.
	var rec *engine.Record
	if len(rerunPatterns) == 0 && remote == nil && executor == nil && ctx.Err() == nil {
		if rec, err = engine.NewRecord(a.ws, len(labels), all, visits, a.store); err != nil {
			a.unrecorded(err)
		} else {
			rec.Rows = replayedRows(rows)
		}
	}
	req.write(rec) // nil removes the request's record
	return a.endBuild(human, summary, rows, *jsonOut, ctx.Err() != nil)
}

// buildDone tells the kinds that observe builds of one that made visits: they record what
// lives outside the cache, such as the environments gc must keep.
func (a *app) buildDone(visits map[*engine.Action]*engine.Visit) {
	finished := &engine.FinishedBuild{Workspace: a.ws, UserCache: engine.UserCacheDir(), Visits: visits, Store: a.store}
	for _, o := range kindsWith[engine.BuildObserver]() {
		if err := o.BuildDone(finished); err != nil {
			fmt.Fprintf(a.stderr, "isobench: warning: %s\n", err)
		}
	}
}

// endBuild prints the result table and the summary (and the JSON summary with --json) and
// says how the build exits.
func (a *app) endBuild(human io.Writer, summary *engine.Summary, rows []engine.ResultRow, jsonOut, interrupted bool) error {
	printResults(human, rows)
	printSummary(human, summary, interrupted)
	if jsonOut {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			*engine.Summary
			Results []engine.ResultRow `json:"results"`
		}{summary, rows})
	}
	switch {
	case interrupted:
		return failure{exitFailed}
	case summary.Failed > 0 || summary.Blocked > 0 || summary.NotRun > 0:
		return failure{exitFailed}
	}
	return nil
}

// buildHandlers makes the display of a build of total actions and, with eventsFile, its JSONL
// event log; closeEvents closes the log.
func buildHandlers(human io.Writer, total int, eventsFile string) (d *display, hs engine.Handlers, closeEvents func(), err error) {
	d = newDisplay(human, total)
	hs, closeEvents = engine.Handlers{d}, func() {}
	if eventsFile != "" {
		f, err := os.Create(eventsFile)
		if err != nil {
			d.close()
			return nil, nil, nil, fmt.Errorf("cannot write the event log: %w", err)
		}
		hs, closeEvents = append(hs, newEventLog(f)), func() { f.Close() }
	}
	return d, hs, closeEvents, nil
}

// replayBuild answers a build from its record: the same events, usage marks, observers and
// output as a full build that replays every action, with nothing loaded or prepared.
func (a *app) replayBuild(rec *engine.Record, jsonOut bool, eventsFile string) error {
	human := a.stdout
	if jsonOut {
		human = a.stderr
	}
	display, handlers, closeEvents, err := buildHandlers(human, rec.Count, eventsFile)
	if err != nil {
		return err
	}
	defer closeEvents()
	summary, err := engine.Replay(context.Background(), rec, engine.Options{Store: a.store, Handler: handlers})
	display.close()
	if err != nil {
		return fmt.Errorf("the cache failed: %w", err)
	}
	// A recorded build walked only Recordable actions, whose results a full build would
	// replay: the observers are told of no visit, and keep what they recorded of them (the
	// environments a workspace used stay used).
	a.buildDone(map[*engine.Action]*engine.Visit{})
	return a.endBuild(human, summary, rec.Rows, jsonOut, false)
}

// replayedRows are a build's result rows as the next build, which replays each result,
// prints them.
func replayedRows(rows []engine.ResultRow) []engine.ResultRow {
	out := make([]engine.ResultRow, len(rows))
	for i, r := range rows {
		r.Cached = true
		out[i] = r
	}
	return out
}
