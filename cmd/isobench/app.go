package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
)

// Exit codes: 0 success, 1 an action failed, 2 usage or configuration error.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// app holds what every subcommand shares: output streams and the workspace flags.
type app struct {
	stdout, stderr io.Writer
	cacheDir       string
	vars           multiFlag
	chdir          string
	remoteCache    string // remote.go
	remoteUpload   bool

	ws    *engine.Workspace
	pkg   string // package of the current directory, for relative patterns
	store *cache.Store
}

// usageError is a mistake on the command line; it exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// failure is an error already reported to the user that sets the exit code.
type failure struct{ code int }

func (failure) Error() string { return "" }

// flags starts a subcommand's flag set, with the workspace flags when it reads a workspace.
func (a *app) flags(name string, workspace bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package's own messages are dropped: flagError words the error, and the help
	// goes to stdout, where a reader pipes it (help.go).
	fs.SetOutput(io.Discard)
	fs.Usage = func() { printCommandHelp(a.stdout, fs) }
	if workspace {
		a.workspaceFlags(fs)
	}
	return fs
}

func (a *app) workspaceFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.cacheDir, "cache-dir", "", "keep the workspace's cache in `DIR` (default: per-user cache; also $ISOBENCH_CACHE)")
	fs.Var(&a.vars, "var", "set the variable NAME declared in isobench.hcl to VALUE: --var `NAME=VALUE` (repeatable)")
	fs.StringVar(&a.chdir, "C", "", "run as if started in `DIR`")
	a.remoteFlags(fs)
}

// load finds the workspace from the current directory and loads it, rendering diagnostics.
func (a *app) load() error {
	dir := a.chdir
	if dir == "" {
		dir = "."
	}
	root, err := engine.FindRoot(dir)
	if err != nil {
		return usageError{err.Error() + "\nhint: run isobench inside a workspace, or pass -C DIR"}
	}
	vars := map[string]string{}
	for _, v := range a.vars {
		name, value, ok := strings.Cut(v, "=")
		if !ok {
			return usageError{fmt.Sprintf("--var %q must look like name=value", v)}
		}
		vars[name] = value
	}
	ws, diags := engine.Load(root, engine.LoadOptions{Kinds: kinds(), Executors: executors(), Vars: vars})
	if diags.HasErrors() {
		printDiagnostics(a.stderr, diags, ws.Files)
		return failure{exitUsage}
	}
	a.ws = ws
	a.pkg, _ = ws.PackageOf(dir)
	return nil
}

// open opens the workspace's store. readOnly commands still need the lock today; the error
// names the process that holds it.
func (a *app) open(owner string) error {
	store, err := cache.Open(a.ws.CacheDir(a.cacheDir), cache.Options{Owner: owner})
	if err != nil {
		var locked *cache.LockedError
		if errors.As(err, &locked) {
			return fmt.Errorf("%s\nhint: wait for it to finish, or stop it", err)
		}
		return fmt.Errorf("cannot open the cache: %w", err)
	}
	a.store = store
	return nil
}

// buffered buffers a.stdout until the returned function flushes it: status prints a line
// per target, and 10,000 writes to a pipe cost more than the rest of a status answered
// from its record. Only for commands that draw no live display (which needs the terminal
// itself) and print their errors after the flush.
func (a *app) buffered() (flush func()) {
	w := bufio.NewWriterSize(a.stdout, 64<<10)
	orig := a.stdout
	a.stdout = w
	return func() {
		w.Flush()
		a.stdout = orig
	}
}

// close closes the store, if one is open, so that the full path may open it again.
func (a *app) close() {
	if a.store != nil {
		a.store.Close()
		a.store = nil
	}
}

// plan selects targets by pattern (default: every target) and plans them.
func (a *app) plan(patterns []string) ([]engine.Label, map[engine.Label]*engine.Action, *engine.Planner, error) {
	if len(patterns) == 0 {
		patterns = []string{"//..."}
	}
	labels, err := engine.SelectTargets(a.ws, patterns, a.pkg)
	if err != nil {
		return nil, nil, nil, usageError{err.Error()}
	}
	p := engine.NewPlanner(a.ws)
	roots := map[engine.Label]*engine.Action{}
	for _, l := range labels {
		act, err := p.Plan(l)
		if err != nil {
			var diags hcl.Diagnostics
			if errors.As(err, &diags) {
				printDiagnostics(a.stderr, diags, a.ws.Files)
				return nil, nil, nil, failure{exitUsage}
			}
			return nil, nil, nil, usageError{fmt.Sprintf("planning %s: %s", l, err)}
		}
		roots[l] = act
	}
	return labels, roots, p, nil
}

// inOrder lists the planned root actions in the order of their labels.
func inOrder(labels []engine.Label, roots map[engine.Label]*engine.Action) []*engine.Action {
	list := make([]*engine.Action, 0, len(labels))
	for _, l := range labels {
		list = append(list, roots[l])
	}
	return list
}

// report prints an error the way every subcommand does and returns the exit code.
func (a *app) report(err error) int {
	var f failure
	var u usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &f):
		return f.code
	case errors.As(err, &u):
		fmt.Fprintf(a.stderr, "isobench: error: %s\n", u.msg)
		return exitUsage
	}
	fmt.Fprintf(a.stderr, "isobench: error: %s\n", err)
	return exitFailed
}

func debugKeys() io.Writer {
	if debugging("keys") {
		return os.Stderr
	}
	return nil
}

// debugging reports whether ISOBENCH_DEBUG names what: keys (print every key's description),
// record (say when a build is answered from its record, record.go).
func debugging(what string) bool {
	return slices.Contains(strings.Split(os.Getenv("ISOBENCH_DEBUG"), ","), what)
}
