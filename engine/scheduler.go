package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/isobench/isobench/cache"
)

// Options configure a build (or, with Inspect, a dry walk for status and why).
type Options struct {
	Store     *cache.Store
	Workspace *Workspace
	UserCache string
	Jobs      int   // worker pool size; default the number of cores
	CPUSlots  int   // CPU slots for actions that ask for them; default Jobs
	GPUs      []int // GPU device indices this build may use
	Pools     map[string]int
	KeepGoing bool
	// Rerun executes actions whose label matches again; the previous result stays in history.
	Rerun []Pattern
	// RetryFailed executes actions whose cached result is a deterministic failure again.
	RetryFailed bool
	// Inspect prepares actions and looks them up without executing anything.
	Inspect bool
	Handler Handler
	// DebugKeys, when set, receives every key description (ISOBENCH_DEBUG=keys).
	DebugKeys io.Writer
	// Remote, when set, is a cache shared with other machines (remote.go): asked on a local
	// miss, and given every result stored.
	Remote Remote
	// Executor, when set, runs the actions it accepts elsewhere (executor.go); nil runs
	// everything here.
	Executor Executor
}

// A Visit is what one walk of the graph learned about an action: its key and description,
// its Outcome when it finished, or why it has none (stale when only inspecting, blocked).
type Visit struct {
	Action  *Action
	Key     cache.Digest
	Desc    string
	Outcome *Outcome // nil when the action did not finish (stale in Inspect mode, blocked, not run)
	Stale   bool     // Inspect: no usable cached result
	Reason  string   // why it is stale or blocked
	Err     error    // Prepare failed

	refresh *refresh // replayed, but must be made again before a dependent executes
}

// scheduler runs one build: a ready queue served by a fixed worker pool, with all shared state
// under one mutex.
type scheduler struct {
	opt   Options
	pools *pools

	mu        sync.Mutex
	cond      *sync.Cond
	ready     []*Action
	waiting   map[*Action]int // unfinished dependencies
	users     map[*Action][]*Action
	outcomes  map[*Action]*Visit
	remaining int
	notRun    int // actions taken from the queue that never ran (cancelled waiting for resources)
	stopped   bool
	flights   map[cache.Digest]*flight
	summary   Summary
	manifests map[string][]byte
	// absorbed marks actions whose failure a downstream action records (a dataset keeps
	// failed benchmarks as records): such a failure is a result, so it does not stop the build.
	absorbed map[*Action]bool
	touched  []cache.Digest
}

type flight struct {
	done   chan struct{}
	out    *Outcome
	reason string // Inspect: why the leader is stale
}

// Run walks the actions reachable from roots. It returns the summary and every outcome.
// The only error it returns is a cache failure; action failures are in the summary.
func Run(ctx context.Context, roots []*Action, opt Options) (*Summary, map[*Action]*Visit, error) {
	start := time.Now()
	if opt.Jobs <= 0 {
		opt.Jobs = runtime.NumCPU()
	}
	if opt.CPUSlots <= 0 {
		opt.CPUSlots = opt.Jobs
	}
	if opt.Handler == nil {
		opt.Handler = Handlers{}
	}
	if opt.DebugKeys != nil {
		// Workers print descriptions concurrently; each must come out whole.
		opt.DebugKeys = &syncWriter{w: opt.DebugKeys}
	}
	s := &scheduler{
		opt:       opt,
		pools:     newPools(opt.CPUSlots, opt.GPUs, opt.Pools),
		waiting:   map[*Action]int{},
		users:     map[*Action][]*Action{},
		outcomes:  map[*Action]*Visit{},
		flights:   map[cache.Digest]*flight{},
		manifests: map[string][]byte{},
	}
	s.cond = sync.NewCond(&s.mu)
	all := Closure(roots)
	s.remaining = len(all)
	s.absorbed = absorbedFailures(all)
	for _, a := range all {
		s.waiting[a] = len(a.Deps)
		for _, d := range a.Deps {
			s.users[d] = append(s.users[d], a)
		}
		if len(a.Deps) == 0 {
			s.ready = append(s.ready, a)
		}
	}
	stopWake := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.stopped = true
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stopWake()

	var wg sync.WaitGroup
	var storeErr error
	var storeErrOnce sync.Once
	for i := 0; i < opt.Jobs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := s.next(); a != nil; a = s.next() {
				out, err := s.process(ctx, a)
				if err != nil {
					storeErrOnce.Do(func() { storeErr = err })
				}
				s.finish(a, out)
			}
		}()
	}
	wg.Wait()

	s.summary.NotRun = s.remaining + s.notRun
	s.summary.Interrupted = ctx.Err() != nil || s.remaining > 0
	s.summary.Seconds = time.Since(start).Seconds()
	if !opt.Inspect && opt.Store != nil {
		if err := opt.Store.PutManifests(s.manifests); err != nil && storeErr == nil {
			storeErr = err
		}
		if err := opt.Store.Touch(s.touched, time.Now()); err != nil && storeErr == nil {
			storeErr = err
		}
	}
	return &s.summary, s.outcomes, storeErr
}

// next returns the next ready action, or nil when there is nothing left to do.
func (s *scheduler) next() *Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.ready) == 0 && !s.stopped && s.remaining > 0 {
		s.cond.Wait()
	}
	if s.stopped || len(s.ready) == 0 {
		return nil
	}
	a := s.ready[0]
	s.ready = s.ready[1:]
	return a
}

// finish records an outcome and releases the actions waiting on it.
func (s *scheduler) finish(a *Action, out *Visit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes[a] = out
	s.remaining--
	if out.Outcome == nil && out.Err == nil && !out.Stale && !s.opt.Inspect {
		s.notRun++
	}
	// A transient result is not in the store; marking its key as used would only leave a
	// usage record that points at nothing.
	if out.Key != "" && out.Outcome != nil && !out.Outcome.transient {
		s.touched = append(s.touched, out.Key)
	}
	if out.Key != "" && !s.opt.Inspect && out.Outcome != nil {
		m, _ := json.Marshal(Manifest{Key: out.Key, Label: a.Label.String(), Mnemonic: a.Mnemonic, Desc: out.Desc})
		s.manifests[ManifestName(a.ID)] = m
	}
	if !s.opt.KeepGoing && !s.opt.Inspect && out.Outcome != nil && out.Outcome.Status == StatusFailed && !s.absorbed[a] {
		s.stopped = true
	}
	for _, u := range s.users[a] {
		s.waiting[u]--
		if s.waiting[u] == 0 {
			s.ready = append(s.ready, u)
		}
	}
	s.cond.Broadcast()
}

func (s *scheduler) emit(e Event) {
	e.Time = time.Now()
	if e.Type == "finish" {
		s.mu.Lock()
		s.summary.record(e)
		s.mu.Unlock()
	}
	s.opt.Handler.Event(e)
}

func (s *scheduler) outcome(a *Action) *Visit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outcomes[a]
}

// process takes one action from ready to finished: check its inputs, prepare it, replay its
// cached result or run it, store what it produced.
func (s *scheduler) process(ctx context.Context, a *Action) (*Visit, error) {
	out := &Visit{Action: a}
	ev := Event{Type: "finish", ID: a.ID, Label: a.Label.String(), Mnemonic: a.Mnemonic}

	// A dependency that failed blocks this action, unless it accepts failures; one that is
	// stale (inspect) or blocked makes this one the same.
	for _, d := range a.Deps {
		do := s.outcome(d)
		switch {
		case do.Stale:
			out.Stale = true
			out.Reason = "input " + d.ID + " is stale"
			return out, nil
		case do.Outcome == nil || (do.Outcome.Status != StatusOK && !a.AcceptFailedDeps):
			if s.opt.Inspect && do.Outcome == nil {
				out.Reason = do.Reason
				return out, nil
			}
			// Name the root cause once: a blocked dependency passes on its own root and its
			// message, which already says "blocked by <root>".
			root, class, msg := d.ID, "", fmt.Sprintf("blocked by %s: it did not run", d.ID)
			if do.Outcome != nil {
				class, msg = do.Outcome.Class, fmt.Sprintf("blocked by %s: %s", root, do.Outcome.Message)
				if do.Outcome.Status == StatusBlocked {
					root, msg = do.Reason, do.Outcome.Message
				}
			}
			out.Reason = root
			out.Outcome = &Outcome{Status: StatusBlocked, Class: class, Message: msg}
			if !s.opt.Inspect {
				ev.Status, ev.Class, ev.Message, ev.BlockedBy = StatusBlocked, class, msg, root
				s.emit(ev)
			}
			return out, nil
		}
	}

	in := &Inputs{Action: a, Workspace: s.opt.Workspace, UserCache: s.opt.UserCache, Building: !s.opt.Inspect, Store: s.opt.Store,
		done: func(d *Action) *Outcome {
			if o := s.outcome(d); o != nil {
				return o.Outcome
			}
			return nil
		}}
	work, err := a.Prepare(ctx, in)
	if err != nil {
		out.Err = err
		if s.opt.Inspect {
			return out, nil
		}
		var f *Failure
		ev.Status, ev.Class, ev.Message = StatusFailed, "prepare_failed", err.Error()
		if errors.As(err, &f) {
			ev.Class = f.Class
		}
		out.Outcome = &Outcome{Status: StatusFailed, Class: ev.Class, Message: ev.Message}
		s.emit(ev)
		return out, nil
	}
	out.Desc = Description(a.Mnemonic, work)
	out.Key = KeyOf(out.Desc)
	ev.Key = out.Key
	if s.opt.DebugKeys != nil {
		fmt.Fprintf(s.opt.DebugKeys, "--- key %s for %s\n%s", out.Key, a.ID, out.Desc)
	}

	// One key, one execution: a second action with the same key waits for the first.
	s.mu.Lock()
	if f, ok := s.flights[out.Key]; ok {
		s.mu.Unlock()
		<-f.done
		if f.out != nil {
			// The same work, done once: this action shares the result, transient or not.
			d := *f.out
			d.Cached = true
			out.Outcome = &d
			ev.Status, ev.Class, ev.Message, ev.Cached = d.Status, d.Class, d.Message, true
			s.emit(ev)
			return out, nil
		}
		out.Stale, out.Reason = s.opt.Inspect, f.reason
		return out, nil
	}
	f := &flight{done: make(chan struct{})}
	s.flights[out.Key] = f
	s.mu.Unlock()
	defer close(f.done)

	entry, found, err := s.opt.Store.GetEntry(out.Key)
	if err != nil {
		return out, err
	}
	if !found {
		entry, found = s.remoteFetch(ctx, a, out.Key, out.Desc)
	}
	reason := s.runReason(a, work, entry, found)
	if reason == "" && !s.stillValid(a, work, entry, out) {
		reason = "its cached result is no longer valid"
	}
	if reason == "" {
		out.Outcome = outcomeOf(entry, true)
		f.out = out.Outcome
		ev.Status, ev.Class, ev.Message, ev.Cached = Status(entry.Status), entry.Class, entry.Message, true
		s.emit(ev)
		return out, nil
	}
	// A result that needs no execution (Work.Done) is known even when only inspecting.
	if s.opt.Inspect && work.Done == nil {
		out.Stale, out.Reason = true, reason
		f.reason = reason
		return out, nil
	}
	if err := s.materialize(ctx, a); err != nil {
		out.Outcome = &Outcome{Status: StatusFailed, Class: "dependency_refresh", Message: err.Error(), transient: true}
		f.out = out.Outcome
		ev.Status, ev.Class, ev.Message = StatusFailed, out.Outcome.Class, err.Error()
		s.emit(ev)
		return out, nil
	}
	done, err := s.execute(ctx, a, work, out.Key, out.Desc, reason, &ev)
	out.Outcome = done
	f.out = done
	return out, err
}

// runReason says why an action must execute despite (or for lack of) a cached entry; "" means
// replay the cache.
func (s *scheduler) runReason(a *Action, w *Work, e *cache.Entry, found bool) string {
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

// execute runs prepared work holding its resources, and stores the result unless it is
// transient.
func (s *scheduler) execute(ctx context.Context, a *Action, w *Work, key cache.Digest, desc, reason string, ev *Event) (*Outcome, error) {
	var log bytes.Buffer
	res := w.Done
	start := time.Now()
	if s.elsewhere(a, w) {
		if res = s.executeElsewhere(ctx, a, w, key, desc, reason, &log); res == nil {
			return nil, nil // cancelled before it started: not run
		}
	} else if res == nil {
		gpus, ok := s.pools.acquire(ctx, w.Needs)
		if !ok {
			return nil, nil // cancelled while waiting: not run
		}
		tmp, err := os.MkdirTemp("", "isobench-action-")
		if err != nil {
			s.pools.release(w.Needs, gpus)
			return nil, err
		}
		s.opt.Handler.Event(Event{Time: time.Now(), Type: "start", ID: a.ID, Label: a.Label.String(), Mnemonic: a.Mnemonic, Key: key, GPUs: gpus, Reason: reason})
		start = time.Now()
		x := &Exec{Action: a, Log: &syncWriter{w: &log}, GPUs: gpus, TempDir: tmp, Workspace: s.workspaceRoot(),
			UserCache: s.opt.UserCache, Store: s.opt.Store, Building: true}
		if w.Run == nil {
			res, err = Transient("error", "the rule prepared work with neither Run nor Done"), nil
		} else {
			res, err = w.Run(ctx, x)
		}
		os.RemoveAll(tmp)
		s.pools.release(w.Needs, gpus)
		ev.GPUs = gpus
		if err != nil {
			res = Transient("error", "%s", err)
		}
		if res == nil {
			res = Transient("error", "the rule returned no result")
		}
		if ctx.Err() != nil && res.Status != StatusOK {
			res = Transient("cancelled", "cancelled: %s", res.Message)
		}
	}
	switch res.Status {
	case StatusOK, StatusFailed, StatusSkipped:
	default:
		// A rule bug (an empty status, or "blocked"); storing it would block every dependent
		// for good.
		res = Transient("error", "the rule returned the invalid status %q", res.Status)
	}
	ev.Duration = time.Since(start)
	done, err := s.store(a, res, key, desc, log.Bytes(), ev.Duration)
	ev.Status, ev.Class, ev.Message, ev.Reason = done.Status, done.Class, done.Message, reason
	if done.Status == StatusOK {
		ev.Message = ""
	}
	s.mu.Lock()
	for k, v := range res.Counters {
		if s.summary.Counters == nil {
			s.summary.Counters = map[string]int64{}
		}
		s.summary.Counters[k] += v
	}
	s.mu.Unlock()
	s.emit(*ev)
	return done, err
}

// workspaceRoot is "" when the build has no workspace (actions built by hand, in tests).
func (s *scheduler) workspaceRoot() string {
	if s.opt.Workspace == nil {
		return ""
	}
	return s.opt.Workspace.Root
}

// store puts outputs and the log in the CAS and, unless the result is transient, commits the
// entry at once, so a build killed right after keeps it.
func (s *scheduler) store(a *Action, res *Result, key cache.Digest, desc string, log []byte, dur time.Duration) (*Outcome, error) {
	e := &cache.Entry{Key: key, Status: string(res.Status), Class: res.Class, Message: res.Message,
		Lines: desc, Mnemonic: a.Mnemonic, Created: time.Now().UTC(), Duration: dur, Outputs: map[string]cache.Digest{}}
	for _, name := range sortedKeys(res.Outputs) {
		d, err := s.opt.Store.Put(res.Outputs[name])
		if err != nil {
			return &Outcome{Status: StatusFailed, Class: "cache", Message: err.Error(), transient: true}, err
		}
		e.Outputs[name] = d
	}
	if len(log) > 0 {
		d, err := s.opt.Store.Put(log)
		if err != nil {
			return &Outcome{Status: StatusFailed, Class: "cache", Message: err.Error(), transient: true}, err
		}
		e.Log = d
	}
	if res.Meta != nil {
		m, err := json.Marshal(res.Meta)
		if err != nil {
			return &Outcome{Status: StatusFailed, Class: "error", Message: err.Error(), transient: true}, nil
		}
		e.Meta = m
	}
	done := outcomeOf(e, false)
	if res.Transient {
		done.transient, done.Created = true, time.Time{}
		return done, nil
	}
	if err := s.opt.Store.PutEntry(e); err != nil {
		return done, err
	}
	s.remotePush(a, e)
	return done, nil
}

// outcomeOf is the outcome a stored entry stands for.
func outcomeOf(e *cache.Entry, cached bool) *Outcome {
	return &Outcome{Key: e.Key, Status: Status(e.Status), Class: e.Class, Message: e.Message, Outputs: e.Outputs,
		Meta: e.Meta, Log: e.Log, Cached: cached, Created: e.Created}
}

// syncWriter lets a rule write its log from several goroutines (stdout and stderr copiers).
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// absorbedFailures returns the actions below some action that accepts failed dependencies.
func absorbedFailures(all []*Action) map[*Action]bool {
	absorbed := map[*Action]bool{}
	var mark func(a *Action)
	mark = func(a *Action) {
		for _, d := range a.Deps {
			if !absorbed[d] {
				absorbed[d] = true
				mark(d)
			}
		}
	}
	for _, a := range all {
		if a.AcceptFailedDeps {
			mark(a)
		}
	}
	return absorbed
}
