package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/isobench/isobench/engine"
)

// inspect plans the targets and walks them without executing anything.
func (a *app) inspect(patterns []string) ([]engine.TargetState, error) {
	if err := a.load(); err != nil {
		return nil, err
	}
	labels, roots, planner, err := a.plan(patterns)
	if err != nil {
		return nil, err
	}
	// The whole workspace is walked when it plans: the actions made from a generator or an
	// environment target are planned by the benchmarks that use it, and its state is theirs.
	walked := labels
	if len(patterns) > 0 {
		if all, allRoots, allPlanner, err := a.planQuietly(); err == nil {
			walked, roots, planner = all, allRoots, allPlanner
		}
	}
	remote, err := a.remote()
	if err != nil {
		return nil, err
	}
	if err := a.open("isobench status"); err != nil {
		return nil, err
	}
	states, err := engine.Inspect(context.Background(), walked, roots, engine.Options{
		Store: a.store, Workspace: a.ws, UserCache: engine.UserCacheDir(), Pools: planner.Pools(), GPUs: machineGPUs(),
		Remote: remote, DebugKeys: debugKeys(),
	})
	if err != nil {
		return nil, err
	}
	selected := map[engine.Label]bool{}
	for _, l := range labels {
		selected[l] = true
	}
	var out []engine.TargetState
	for _, st := range states {
		if selected[st.Label] {
			if line := a.outputLogsLine(st.Label, roots[st.Label]); line != "" {
				st.Notes = append(st.Notes, line)
			}
			out = append(out, st)
		}
	}
	return out, nil
}

// planQuietly plans every target of the workspace, printing nothing: a caller that asked
// about some targets uses it for context, and falls back to its own plan when it fails.
func (a *app) planQuietly() ([]engine.Label, map[engine.Label]*engine.Action, *engine.Planner, error) {
	labels := a.ws.Labels()
	p := engine.NewPlanner(a.ws)
	roots := map[engine.Label]*engine.Action{}
	for _, l := range labels {
		act, err := p.Plan(l)
		if err != nil {
			return nil, nil, nil, err
		}
		roots[l] = act
	}
	return labels, roots, p, nil
}

func cmdStatus(a *app, args []string) error {
	defer a.buffered()() // app.go
	fs := a.flags("status", true)
	detailed := fs.Bool("detailed-exitcode", false, "exit 0 when up to date, 1 on error, 2 when something is stale")
	patterns, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	states, err := a.inspectRecorded(args, patterns) // record.go
	defer a.close()
	if err != nil {
		return err
	}
	stale, errs := 0, 0
	said := map[string]bool{} // a reason printed in full once, not under every target it reaches
	for _, st := range states {
		line := fmt.Sprintf("%-8s %s", st.State, st.Label)
		if st.Class != "" {
			line += "  " + st.Class
		}
		if st.Message != "" {
			line += ": " + st.Message
		}
		fmt.Fprintln(a.stdout, line)
		for _, s := range st.Stale {
			reason := s.Reason
			if said[s.ID+reason] && strings.HasPrefix(reason, "cannot be prepared") {
				reason = "cannot be prepared (see above)"
			}
			said[s.ID+s.Reason] = true
			fmt.Fprintf(a.stdout, "           %s: %s\n", s.ID, reason)
		}
		for _, note := range st.Notes {
			fmt.Fprintf(a.stdout, "           %s\n", note)
		}
		switch st.State {
		case "stale":
			stale++
		case "error":
			errs++
		}
	}
	fmt.Fprintf(a.stdout, "%d targets, %d stale", len(states), stale)
	if errs > 0 {
		fmt.Fprintf(a.stdout, ", %d that cannot be built as declared", errs)
	}
	fmt.Fprintln(a.stdout)
	printStores(a)
	switch {
	case errs > 0:
		return failure{exitFailed}
	case *detailed && stale > 0:
		return failure{2}
	}
	return nil
}

func cmdWhy(a *app, args []string) error {
	fs := a.flags("why", true)
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"why takes one label, e.g. isobench why //benchmarks:flash_attn"}
	}
	states, err := a.inspect(rest)
	defer a.close()
	if err != nil {
		return err
	}
	for _, st := range states {
		if len(st.Stale) == 0 {
			fmt.Fprintf(a.stdout, "%s is %s: nothing changed since its last build\n", st.Label, st.State)
			continue
		}
		fmt.Fprintf(a.stdout, "%s is stale:\n", st.Label)
		for _, s := range st.Stale {
			fmt.Fprintf(a.stdout, "  %s: %s\n", s.ID, s.Reason)
			for _, c := range s.Changes {
				fmt.Fprintf(a.stdout, "      %s\n        was: %s\n        now: %s\n", c.Name, orNone(c.Old), orNone(c.New))
			}
		}
	}
	return nil
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(absent)"
	}
	return s
}

func cmdValidate(a *app, args []string) error {
	fs := a.flags("validate", true)
	patterns, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	req := a.newRequest("validate", args) // record.go
	if a.validateFromRecord(req) {
		return nil
	}
	if err := a.load(); err != nil {
		return err
	}
	labels, roots, _, err := a.plan(patterns)
	if err != nil {
		return err
	}
	all := inOrder(labels, roots)
	a.validated(req, len(labels), len(engine.Closure(all)))
	return nil
}

// outputLogsLine says, under a target whose last build kept logs among its outputs (a serving
// benchmark's server log of every run, engine.LogOutputs), how many, and the command that
// prints them; "" for any other.
func (a *app) outputLogsLine(label engine.Label, root *engine.Action) string {
	if root == nil {
		return ""
	}
	n := 0
	for _, act := range engine.Closure([]*engine.Action{root}) {
		picker, ok := a.kindOf(act).(engine.LogOutputs)
		if !ok || act.Label != label {
			continue
		}
		if e, _ := lastEntry(a.store, act); e != nil {
			n += len(picker.LogOutputs(act, slices.Collect(maps.Keys(e.Outputs)), "", 0))
		}
	}
	if n == 0 {
		return ""
	}
	if n == 1 {
		return fmt.Sprintf("server log of 1 run: isobench log %s --server", label)
	}
	return fmt.Sprintf("server logs of %d runs: isobench log %s --server (--side S --run N for one)", n, label)
}

// printStores ends status with the size of each per-user store a kind owns (the shared
// environments), when it holds anything.
func printStores(a *app) {
	for _, owner := range kindsWith[engine.StoreOwner]() {
		u, err := owner.StoreUsage(engine.UserCacheDir())
		if err != nil || u.Items == 0 {
			continue
		}
		fmt.Fprintf(a.stdout, "%s: %d in %s, %.1f MiB (isobench gc trims them)\n", u.Name, u.Items, u.Root, mib(u.Bytes))
	}
}
