package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
)

// cmdLog prints the stored logs of a target's actions as the last build left them, replayed
// or executed: the full traceback behind a one-line failure. It reads the manifests the build
// wrote (which key each action had) and the entries under those keys, so it works for a
// cached result, a stale one and a failure alike, and never executes or fetches anything.
func cmdLog(a *app, args []string) error {
	fs := a.flags("log", true)
	which := fs.String("action", "", "`WHICH` actions to show: a mnemonic (measure, environment, generate, commit, dataset) or part of an action ID; default: the target's own actions")
	side := fs.String("side", "", "only the `SIDE` base, head or a variant's name: its per-side actions (environments, tests), or its runs in a measure log")
	runN := fs.Int("run", 0, "only run `N` of a measurement (counting warmups first, as the log does)")
	server := fs.Bool("server", false, "print the logs an action kept among its outputs instead of its own: the server log of each run of a serving benchmark (with --side and --run, of one)")
	list := fs.Bool("list", false, "list the actions that have a log instead of printing them")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"log takes one label, e.g. isobench log //benchmarks:median\nhint: isobench log --help"}
	}
	if *side != "" && strings.ContainsAny(*side, " \t/:") {
		return usageError{fmt.Sprintf("--side %q: want base, head or a variant's name", *side)}
	}
	if err := a.load(); err != nil {
		return err
	}
	labels, roots, _, err := a.plan(rest)
	if err != nil {
		return err
	}
	if len(labels) != 1 {
		return usageError{fmt.Sprintf("%s names %d targets; log takes one", rest[0], len(labels))}
	}
	label := labels[0]
	actions, err := a.logActions(label, roots[label], *which, *side)
	if err != nil {
		return err
	}
	store, err := cache.Open(a.ws.CacheDir(a.cacheDir), cache.Options{ReadOnly: true})
	var locked *cache.LockedError
	switch {
	case errors.As(err, &locked):
		return fmt.Errorf("%s\nhint: a build holds the cache; read the log when it has finished", err)
	case err != nil:
		return fmt.Errorf("cannot open the cache: %w", err)
	}
	defer store.Close()
	// A per-commit kind's target plans an action of its own that never runs (the commits'
	// actions do the work): leave such actions out when others have a result.
	var all, built []loggedAction
	for _, act := range actions {
		la := loggedAction{act: act}
		la.e, la.why = lastEntry(store, act)
		all = append(all, la)
		if la.e != nil {
			built = append(built, la)
		}
	}
	if len(built) > 0 {
		all = built
	}

	if *server {
		return a.printOutputLogs(store, label, built, *side, *runN, *list)
	}
	for _, la := range all {
		act, e, why := la.act, la.e, la.why
		if *list {
			state := why
			if e != nil {
				state = describeEntry(e)
			}
			fmt.Fprintf(a.stdout, "%s\n    %s\n", act.ID, state)
			continue
		}
		if e == nil {
			fmt.Fprintf(a.stdout, "==> %s <==\n(%s)\n\n", act.ID, why)
			continue
		}
		fmt.Fprintf(a.stdout, "==> %s: %s <==\n", act.ID, describeEntry(e))
		if e.Log == "" {
			fmt.Fprintf(a.stdout, "(its result has no log)\n\n")
			continue
		}
		log, err := store.Get(e.Log)
		if err != nil {
			fmt.Fprintf(a.stdout, "(its log is not in the cache: %s)\n\n", err)
			continue
		}
		if f, ok := a.kindOf(act).(engine.LogFilter); ok {
			log = f.FilterLog(act, log, *side, *runN)
		}
		a.writeLog(log)
	}
	return nil
}

// loggedAction is an action `log` shows, with the result its last build stored (nil, and
// why, when there is none).
type loggedAction struct {
	act *engine.Action
	e   *cache.Entry
	why string
}

// printOutputLogs prints (or lists) the logs the actions kept among their outputs, as their
// kinds pick them (engine.LogOutputs): a serving benchmark's server logs.
func (a *app) printOutputLogs(store *cache.Store, label engine.Label, built []loggedAction, side string, run int, list bool) error {
	found := false
	for _, la := range built {
		act, e := la.act, la.e
		picker, ok := a.kindOf(act).(engine.LogOutputs)
		if !ok {
			continue
		}
		names := make([]string, 0, len(e.Outputs))
		for name := range e.Outputs {
			names = append(names, name)
		}
		picked := picker.LogOutputs(act, names, side, run)
		if len(picked) == 0 {
			continue
		}
		found = true
		if list {
			fmt.Fprintf(a.stdout, "%s\n    %s\n", act.ID, describeEntry(e))
			for _, name := range picked {
				fmt.Fprintf(a.stdout, "    %s\n", name)
			}
			continue
		}
		for _, name := range picked {
			fmt.Fprintf(a.stdout, "==> %s: %s <==\n", act.ID, name)
			log, err := store.Get(e.Outputs[name])
			if err != nil {
				fmt.Fprintf(a.stdout, "(it is not in the cache: %s)\n\n", err)
				continue
			}
			a.writeLog(log)
		}
	}
	if !found {
		what := "any side"
		if side != "" {
			what = "side " + side
		}
		if run != 0 {
			what += fmt.Sprintf(", run %d", run)
		}
		return fmt.Errorf("no action of %s kept a server log of %s in its last build\nhint: only a benchmark with a server block keeps one per run; isobench log %s --server --list lists them", label, what, label)
	}
	return nil
}

// kindOf is the kind of the target act was planned for; nil when the label names no target.
func (a *app) kindOf(act *engine.Action) engine.Kind {
	if t := a.ws.Targets[act.Label]; t != nil {
		return a.ws.Kinds[t.Kind]
	}
	return nil
}

// writeLog prints a log and a blank line after it, ending its last line when it does not.
func (a *app) writeLog(log []byte) {
	a.stdout.Write(log)
	if len(log) > 0 && log[len(log)-1] != '\n' {
		fmt.Fprintln(a.stdout)
	}
	fmt.Fprintln(a.stdout)
}

// logActions chooses the actions whose logs `log` shows. By default they are the target's
// own: the measurement of a benchmark, or every test a generator made, one per commit (so the
// whole workspace is planned to find them). --action picks among everything the target
// depends on as well, by mnemonic or by a part of the ID; --side keeps the per-side actions
// of that side.
func (a *app) logActions(label engine.Label, root *engine.Action, which, side string) ([]*engine.Action, error) {
	candidates := engine.Closure([]*engine.Action{root})
	seen := map[string]bool{} // by ID: the second plan makes actions of its own
	for _, act := range candidates {
		seen[act.ID] = true
	}
	if _, allRoots, _, err := a.planQuietly(); err == nil {
		for _, act := range engine.Closure(inOrder(a.ws.Labels(), allRoots)) {
			if act.Label == label && !seen[act.ID] {
				candidates, seen[act.ID] = append(candidates, act), true
			}
		}
	}
	var out []*engine.Action
	for _, act := range candidates {
		switch {
		case which == "" && act.Label != label:
			continue
		case which != "" && act.Mnemonic != which && !strings.Contains(act.ID, which):
			continue
		}
		if s := sideOf(act); side != "" && s != "" && s != side {
			continue
		}
		out = append(out, act)
	}
	if len(out) == 0 {
		var ids []string
		for _, act := range candidates {
			ids = append(ids, "  "+act.ID)
		}
		return nil, usageError{fmt.Sprintf("no action of %s matches --action %q --side %q; its actions are:\n%s",
			label, which, side, strings.Join(ids, "\n"))}
	}
	return out, nil
}

// sideOf is the side a per-side action was planned for: action IDs of per-commit actions end
// with it ("environment //envs:x @ commit //commits:y base").
func sideOf(act *engine.Action) string {
	for _, s := range []string{"base", "head"} {
		if strings.HasSuffix(act.ID, " "+s) {
			return s
		}
	}
	return ""
}

// lastEntry is the result the last build that reached act stored, or why there is none.
func lastEntry(store *cache.Store, act *engine.Action) (*cache.Entry, string) {
	raw, found, err := store.GetManifest(engine.ManifestName(act.ID))
	var m engine.Manifest
	if err != nil || !found || json.Unmarshal(raw, &m) != nil {
		return nil, "never built"
	}
	e, ok, err := store.GetEntry(m.Key)
	if err != nil && !errors.Is(err, cache.ErrNotFound) {
		return nil, err.Error()
	}
	if !ok {
		return nil, "the last build stored no result: it failed transiently (network, cancellation), or the cache was cleaned"
	}
	return e, ""
}

func describeEntry(e *cache.Entry) string {
	s := e.Status
	if e.Class != "" && e.Class != e.Status {
		s += " " + e.Class
	}
	return fmt.Sprintf("%s, made %s in %s", s, e.Created.Local().Format("2006-01-02 15:04:05"), e.Duration.Round(1e6))
}
