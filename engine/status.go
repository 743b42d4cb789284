package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/isobench/isobench/cache"
)

// TargetState is what `isobench status` says about one target.
type TargetState struct {
	Label   Label
	Kind    string
	State   string // "cached", "stale", "failed", "skipped", "error", "unused"
	Class   string
	Message string
	// Stale lists the actions of the target that would execute, each with its reason.
	Stale []StaleAction
	// Notes are lines the command shows under the target, which a status record keeps: where
	// a serving benchmark's server logs are.
	Notes []string

	// settled: every action the state stands on (the target's closure and the actions made
	// from it) was Recordable and had a result, so a record may keep the state
	// (record_inspect.go).
	settled bool
	vouches []*Visit // the visits the state stands on, whose stamps and facts a record keeps
}

// StaleAction is an action that would execute, and why.
type StaleAction struct {
	ID       string
	Mnemonic string
	Reason   string
	Changes  []LineChange
}

// Inspect walks the actions of the given targets without executing anything and says, per
// target, whether its result is cached and, when not, which actions would run and why. The
// reasons come from comparing each action's fresh description with the one the last build
// stored in its manifest.
func Inspect(ctx context.Context, targets []Label, roots map[Label]*Action, opt Options) ([]TargetState, error) {
	opt.Inspect = true
	var all []*Action
	for _, l := range targets {
		all = append(all, roots[l])
	}
	_, visits, err := Run(ctx, all, opt)
	if err != nil {
		return nil, err
	}
	reasons := map[*Action]StaleAction{}
	for a, o := range visits {
		if o.Stale || o.Err != nil {
			reasons[a] = staleReason(opt.Store, a, o)
		}
	}
	// The actions made from a target outside its own closure: a generator's tests and an
	// environment's builds are planned per commit by the benchmarks that use them, and a
	// target is stale when they are.
	made := map[Label][]*Action{}
	for _, a := range Closure(all) {
		made[a.Label] = append(made[a.Label], a)
	}
	var states []TargetState
	for _, l := range targets {
		root := roots[l]
		st := TargetState{Label: l, Kind: opt.Workspace.Targets[l].Kind, settled: true}
		seen := map[*Action]bool{}
		for _, a := range append(Closure([]*Action{root}), made[l]...) {
			if r, ok := reasons[a]; ok && !seen[a] {
				st.Stale, seen[a] = append(st.Stale, r), true
			}
			v := visits[a]
			st.settled = st.settled && v.vouched() && v.Outcome != nil
			if v != nil {
				st.vouches = append(st.vouches, v)
			}
		}
		o := visits[root]
		var f *Failure
		_, perCommit := opt.Workspace.Kinds[st.Kind].(PerCommit)
		switch {
		case perCommit && len(made[l]) <= 1 && len(st.Stale) == 0:
			// Its actions are made per commit by the targets that use it; none was walked.
			st.State, st.Message = "unused", "no target walked here uses it, so it makes nothing"
		case len(st.Stale) > 0:
			st.State = "stale"
			// A failure to prepare that a build may not meet (a repository only a build
			// fetches) leaves the target stale; any other is an error the build would meet.
			if o != nil && o.Err != nil && len(st.Stale) == 1 && !(errors.As(o.Err, &f) && f.Transient) {
				st.State, st.Message = "error", o.Err.Error()
			}
		case o != nil && o.Outcome != nil && o.Outcome.Status == StatusOK:
			st.State = "cached"
		case o != nil && o.Outcome != nil && o.Outcome.Status == StatusSkipped:
			st.State, st.Class, st.Message = "skipped", o.Outcome.Class, o.Outcome.Message
		case o != nil && o.Outcome != nil:
			st.State, st.Class, st.Message = "failed", o.Outcome.Class, o.Outcome.Message
		default:
			st.State, st.Message = "failed", "blocked by "+o.Reason
			st.Class = blockedClass(visits, root)
		}
		states = append(states, st)
	}
	return states, nil
}

// blockedClass finds the failure class at the root of a blocked action.
func blockedClass(visits map[*Action]*Visit, a *Action) string {
	for _, d := range Closure([]*Action{a}) {
		if o := visits[d]; o != nil && o.Outcome != nil && o.Outcome.Status == StatusFailed {
			return o.Outcome.Class
		}
	}
	return ""
}

// staleReason explains, from the stored manifest, why an action would run.
func staleReason(store *cache.Store, a *Action, o *Visit) StaleAction {
	sa := StaleAction{ID: a.ID, Mnemonic: a.Mnemonic}
	switch {
	case o.Err != nil:
		sa.Reason = "cannot be prepared: " + o.Err.Error()
		return sa
	case o.Desc == "":
		sa.Reason = o.Reason // an input is stale
		return sa
	}
	raw, found, err := store.GetManifest(ManifestName(a.ID))
	var m Manifest
	if err != nil || !found || json.Unmarshal(raw, &m) != nil {
		sa.Reason = "never built"
		return sa
	}
	if m.Key == o.Key {
		sa.Reason = "its result is not in the cache (cleaned, or it failed transiently)"
		return sa
	}
	sa.Changes = DiffDescriptions(m.Desc, o.Desc)
	sa.Reason = ChangeSummary(sa.Changes)
	return sa
}

// ChangeSummary turns line changes into a short phrase: "prompt changed", "head changed
// (1a2b3c4d -> 5e6f7a8b)".
func ChangeSummary(changes []LineChange) string {
	if len(changes) == 0 {
		return "its description changed"
	}
	var parts []string
	for _, c := range changes {
		switch {
		case c.Old == "":
			parts = append(parts, c.Name+" added")
		case c.New == "":
			parts = append(parts, c.Name+" removed")
		case len(c.Old) <= 40 && len(c.New) <= 40 && !strings.HasPrefix(c.New, "sha256:") &&
			!strings.ContainsAny(c.Old+c.New, "\n\r"): // the summary is one line
			parts = append(parts, fmt.Sprintf("%s changed (%s -> %s)", c.Name, c.Old, c.New))
		default:
			parts = append(parts, c.Name+" changed")
		}
	}
	return strings.Join(parts, ", ")
}
