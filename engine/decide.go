package engine

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/isobench/isobench/cache"
)

// Every walk decides each action the same way before it acts: are its inputs there, what is
// its key, is there a result for that key (in this walk, in the store, in the remote cache),
// and if so may it be replayed. A build then executes or replays; an inspection only reports.

// A verdict is what decide concluded about an action.
type verdict int

const (
	// inputStale: a dependency is stale (only an inspection marks actions stale), so this
	// action is too.
	inputStale verdict = iota
	// inputMissing: a dependency has no result: it did not run, or an inspection cannot know it.
	inputMissing
	// inputFailed: a dependency failed or was blocked, and this action does not accept that.
	inputFailed
	// unprepared: Prepare failed; Visit.Err says why.
	unprepared
	// shared: an action with the same key was decided first in this walk; its Visit is
	// decision.leader.
	shared
	// replay: the cached entry stands.
	replay
	// mustRun: there is no usable cached result; decision.reason says why.
	mustRun
)

// A decision is what decide found out about one action.
type decision struct {
	verdict verdict
	// visit is the action's Visit so far: its key and description once it is prepared, or
	// why it cannot be (Err, or Stale and Reason for inputStale).
	visit *Visit
	// input is the dependency's Visit, for inputStale, inputMissing and inputFailed.
	input *Visit
	work  *Work
	// entry is the cached result, from the store or the remote cache; nil when there is none.
	entry *cache.Entry
	// invalid: an entry was found, but Work.StillValid says what it stands for is gone.
	invalid bool
	reason  string // mustRun: why the action must execute
	leader  *Visit // shared: the Visit of the first action with this key
	// flight, when set, makes this action the leader of its key: the walker must land it
	// once the action's Visit is final.
	flight *flight
}

// A flight is one key being decided, and in a build executed, by the first action that has
// it; the others with the same key wait for it and share what it found: one key, one
// execution.
type flight struct {
	done   chan struct{}
	leader *Visit
}

// land tells the actions waiting for the same key that the leader's Visit is final.
func (f *flight) land() { close(f.done) }

// decide checks a's dependencies, prepares it, computes its key and looks the key up in
// entries, the store as its worker reads it. It executes nothing and emits nothing. The only
// error it returns is a cache failure.
func (s *scheduler) decide(ctx context.Context, a *Action, entries *cache.Reader) (*decision, error) {
	v := &Visit{Action: a}
	d := &decision{visit: v}
	for _, dep := range a.Deps {
		in := s.visit(dep)
		switch {
		case in.Stale:
			d.verdict, d.input = inputStale, in
			v.Stale, v.Reason = true, "input "+dep.ID+" is stale"
			return d, nil
		case in.Outcome == nil:
			d.verdict, d.input = inputMissing, in
			return d, nil
		case in.Outcome.Status != StatusOK && !a.AcceptFailedDeps:
			d.verdict, d.input = inputFailed, in
			return d, nil
		}
	}

	in := &Inputs{Action: a, Workspace: s.opt.Workspace, UserCache: s.opt.UserCache, Building: !s.opt.Inspect, Store: s.opt.Store,
		done: func(dep *Action) *Outcome {
			if in := s.visit(dep); in != nil {
				return in.Outcome
			}
			return nil
		}}
	w, err := a.Prepare(ctx, in)
	if err != nil {
		d.verdict, v.Err = unprepared, err
		return d, nil
	}
	d.work = w
	v.watch = len(w.Watch) > 0
	v.recordable = w.Recordable && (w.StillValid == nil && w.Restore == nil || v.watch) && len(w.Parts) == 0
	v.machine = w.Machine
	v.Desc = Description(a.Mnemonic, w)
	v.Key = KeyOf(v.Desc)
	if s.opt.DebugKeys != nil {
		fmt.Fprintf(s.opt.DebugKeys, "--- key %s for %s\n%s", v.Key, a.ID, v.Desc)
	}

	s.mu.Lock()
	if f, ok := s.flights[v.Key]; ok {
		s.mu.Unlock()
		<-f.done
		d.verdict, d.leader = shared, f.leader
		return d, nil
	}
	d.flight = &flight{done: make(chan struct{}), leader: v}
	s.flights[v.Key] = d.flight
	s.mu.Unlock()

	entry, found, err := entries.GetEntry(v.Key)
	if err != nil {
		return d, err
	}
	if !found {
		entry, found = s.remoteFetch(ctx, a, v.Key, v.Desc)
	}
	if found {
		d.entry = entry
	}
	d.reason = s.runReason(a, entry, found)
	if d.reason == "" && w.StillValid != nil {
		stamps := stampWatched(w) // before StillValid reads them
		if w.StillValid(outcomeOf(entry, true)) {
			v.watched = stamps
		} else {
			d.reason, d.invalid = "its cached result is no longer valid", true
		}
	}
	d.verdict = replay
	if d.reason != "" {
		d.verdict = mustRun
	}
	return d, nil
}

// runReason says why an action must execute despite (or for lack of) a cached entry; "" means
// replay the cache.
func (s *scheduler) runReason(a *Action, e *cache.Entry, found bool) string {
	switch {
	case !found:
		return "no cached result"
	case matchesAny(s.opt.Rerun, a.Label):
		return "--rerun"
	case s.opt.RetryFailed && e.Status == string(StatusFailed):
		return "--retry-failed"
	}
	return ""
}

func matchesAny(patterns []Pattern, l Label) bool {
	matched := false
	for _, p := range patterns {
		if p.Match(l) {
			matched = !p.Exclude
		}
	}
	return matched
}

// blockedBy is the outcome of an action whose dependency (its Visit in) failed, was blocked
// or did not run, and the root cause to report. The root cause is named once: a blocked
// dependency passes on its own root and its message, which already says "blocked by <root>".
func blockedBy(in *Visit) (root string, o *Outcome) {
	root, class, msg := in.Action.ID, "", fmt.Sprintf("blocked by %s: it did not run", in.Action.ID)
	if in.Outcome != nil {
		class, msg = in.Outcome.Class, fmt.Sprintf("blocked by %s: %s", root, in.Outcome.Message)
		switch {
		case in.Outcome.Status == StatusBlocked:
			root, msg = in.Reason, in.Outcome.Message
		case in.Outcome.BlockedBy != "":
			root = in.Outcome.BlockedBy
			msg = fmt.Sprintf("blocked by %s: %s", root, in.Outcome.Message)
		}
	}
	return root, &Outcome{Status: StatusBlocked, Class: class, Message: msg}
}

// sharedOutcome is the result of an action whose key another action in this walk led: the
// same work, done once, so it is shared transient or not, as cached.
func sharedOutcome(leader *Visit) *Outcome {
	o := *leader.Outcome
	o.Cached = true
	return &o
}

// stampWatched stamps the paths w watches, or returns nil when it watches none or one cannot
// be stamped. The stamps are taken before StillValid reads the paths, so a change while it
// reads makes the next build see a change.
func stampWatched(w *Work) []Stamp {
	if len(w.Watch) == 0 {
		return nil
	}
	stamps := make([]Stamp, 0, len(w.Watch))
	for _, p := range w.Watch {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		st, err := StampOf(p)
		if err != nil {
			return nil
		}
		stamps = append(stamps, st)
	}
	return stamps
}

// revouch stamps what w watches once Run or Restore has made it, and asks StillValid of the
// outcome o again, so that a build that made its files can be recorded too.
func revouch(w *Work, o *Outcome) []Stamp {
	if len(w.Watch) == 0 || w.StillValid == nil || o == nil || o.transient {
		return nil
	}
	stamps := stampWatched(w)
	if stamps == nil || !w.StillValid(o) {
		return nil
	}
	return stamps
}
