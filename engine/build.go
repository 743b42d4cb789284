package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/isobench/isobench/cache"
)

// builder is the walk of a build: it replays what is cached, executes the rest holding its
// resources (or hands it to the executor), stores every result, and reports each action's end
// as an event.
type builder struct {
	*scheduler
	pools *pools
	// absorbed marks actions whose failure a downstream action records (a dataset keeps
	// failed benchmarks as records): such a failure is a result, so it does not stop the build.
	absorbed map[*Action]bool

	// Under scheduler.mu:
	notRun int // actions taken from the queue that never ran (cancelled waiting for resources)
	// keyed are the visits that end with a key and an outcome: each leaves a manifest.
	keyed   []*Visit
	touched []cache.Digest
}

func build(ctx context.Context, roots []*Action, opt Options) (*Summary, map[*Action]*Visit, error) {
	all := Closure(roots)
	b := &builder{
		scheduler: newScheduler(all, opt),
		pools:     newPools(opt.CPUSlots, opt.GPUs, opt.Pools),
		absorbed:  absorbedFailures(all),
	}
	err := b.walk(ctx, b.process, b.finished)
	b.summary.NotRun += b.notRun
	if opt.Store != nil {
		if perr := opt.Store.PutManifests(manifests(b.keyed)); perr != nil && err == nil {
			err = perr
		}
		// Keys marked used within the hour are not marked again, as a recorded build's
		// are not (record.go, touchInterval): 10,000 writes at every build after an edit.
		if terr := opt.Store.TouchStale(b.touched, time.Now(), touchInterval); terr != nil && err == nil {
			err = terr
		}
	}
	return &b.summary, b.visits, err
}

// process takes one action from ready to finished: replay its cached result or run it, and
// store what it produced.
func (b *builder) process(ctx context.Context, a *Action, d *decision) error {
	v := d.visit
	ev := Event{Type: "finish", ID: a.ID, Label: a.Label.String(), Mnemonic: a.Mnemonic, Key: v.Key}
	switch d.verdict {
	case inputStale:
		return nil // only an inspection has stale actions
	case inputMissing, inputFailed:
		v.Reason, v.Outcome = blockedBy(d.input)
		ev.Status, ev.Class, ev.Message, ev.BlockedBy = StatusBlocked, v.Outcome.Class, v.Outcome.Message, v.Reason
		b.emit(ev)
		return nil
	case unprepared:
		var f *Failure
		ev.Status, ev.Class, ev.Message = StatusFailed, "prepare_failed", v.Err.Error()
		if errors.As(v.Err, &f) {
			ev.Class = f.Class
		}
		v.Outcome = &Outcome{Status: StatusFailed, Class: ev.Class, Message: ev.Message}
		b.emit(ev)
		return nil
	case shared:
		if d.leader.Outcome == nil {
			return nil // the leader did not run, so neither does this action
		}
		v.Outcome = sharedOutcome(d.leader)
		ev.Status, ev.Class, ev.Message, ev.Cached = v.Outcome.Status, v.Outcome.Class, v.Outcome.Message, true
		passedOn(&ev, v.Outcome)
		b.emit(ev)
		return nil
	case mustRun:
		if !d.invalid || !b.restoreOrDefer(a, d) {
			err := b.run(ctx, a, d, &ev)
			v.watched = revouch(d.work, v.Outcome)
			return err
		}
	}
	v.Outcome = outcomeOf(d.entry, true)
	if d.invalid && v.refresh == nil { // restored: what it watches was made again
		v.watched = revouch(d.work, v.Outcome)
	}
	ev.Status, ev.Class, ev.Message, ev.Cached = v.Outcome.Status, v.Outcome.Class, v.Outcome.Message, true
	passedOn(&ev, v.Outcome)
	b.touchParts(d.work.Parts)
	b.emit(ev)
	return nil
}

// passedOn reports a failure that passes on a dependency's (Result.BlockedBy) as blocked by
// it: the summary counts the cause once, where it happened.
func passedOn(ev *Event, o *Outcome) {
	if o.Status == StatusFailed && o.BlockedBy != "" {
		ev.Status, ev.BlockedBy = StatusBlocked, o.BlockedBy
		ev.Message = fmt.Sprintf("blocked by %s: %s", o.BlockedBy, o.Message)
	}
}

// touchParts marks the parts a replayed result stands on as used, so that gc keeps them as
// long as it keeps the result.
func (b *builder) touchParts(keys []cache.Digest) {
	if len(keys) == 0 {
		return
	}
	b.mu.Lock()
	b.touched = append(b.touched, keys...)
	b.mu.Unlock()
}

// run executes an action that has no usable cached result, once the dependencies it reads
// are valid again.
func (b *builder) run(ctx context.Context, a *Action, d *decision, ev *Event) error {
	v := d.visit
	if err := b.materialize(ctx, a); err != nil {
		v.Outcome = &Outcome{Status: StatusFailed, Class: "dependency_refresh", Message: err.Error(), transient: true}
		ev.Status, ev.Class, ev.Message = StatusFailed, v.Outcome.Class, err.Error()
		b.emit(*ev)
		return nil
	}
	out, err := b.execute(ctx, a, d.work, v.Key, v.Desc, d.reason, ev)
	v.Outcome = out
	return err
}

// finished keeps what the build leaves in the store at the end (manifests, usage), and stops
// the build at a failure unless it keeps going.
func (b *builder) finished(a *Action, v *Visit) (stop bool) {
	if v.Outcome == nil && v.Err == nil && !v.Stale {
		b.notRun++
	}
	if v.Outcome == nil {
		return false
	}
	if v.Key != "" {
		// A transient result is not in the store; marking its key as used would only leave
		// a usage record that points at nothing.
		if !v.Outcome.transient {
			b.touched = append(b.touched, v.Key)
		}
		b.keyed = append(b.keyed, v)
	}
	return !b.opt.KeepGoing && v.Outcome.Status == StatusFailed && !b.absorbed[a]
}

// manifests encodes the manifest of each visit, by name. They are encoded once the walk is
// over, on every CPU, rather than one by one as actions finish: that is under the scheduler's
// mutex, where every worker would wait for each encoding.
func manifests(visits []*Visit) map[string][]byte {
	encoded := make([][]byte, len(visits))
	onEveryCPU(len(visits), func(i int) { // load.go
		v := visits[i]
		encoded[i], _ = json.Marshal(Manifest{Key: v.Key, Label: v.Action.Label.String(), Mnemonic: v.Action.Mnemonic, Desc: v.Desc})
	})
	m := make(map[string][]byte, len(visits))
	for i, v := range visits {
		m[ManifestName(v.Action.ID)] = encoded[i]
	}
	return m
}

func (b *builder) emit(e Event) {
	e.Time = time.Now()
	if e.Type == "finish" {
		b.mu.Lock()
		b.summary.record(e)
		b.mu.Unlock()
	}
	b.opt.Handler.Event(e)
}

// execute runs prepared work holding its resources, and stores the result unless it is
// transient. It returns nil when the build was cancelled before the work started.
func (b *builder) execute(ctx context.Context, a *Action, w *Work, key cache.Digest, desc, reason string, ev *Event) (*Outcome, error) {
	var log bytes.Buffer
	res := w.Done
	start := time.Now()
	if b.elsewhere(a, w) {
		if res = b.executeElsewhere(ctx, a, w, key, desc, reason, &log); res == nil {
			return nil, nil // cancelled before it started: not run
		}
	} else if res == nil {
		gpus, ok := b.pools.acquire(ctx, w.Needs)
		if !ok {
			return nil, nil // cancelled while waiting: not run
		}
		tmp, releaseTmp, err := actionTempDir(w)
		if err != nil {
			b.pools.release(w.Needs, gpus)
			return nil, err
		}
		b.opt.Handler.Event(Event{Time: time.Now(), Type: "start", ID: a.ID, Label: a.Label.String(), Mnemonic: a.Mnemonic, Key: key, GPUs: gpus, Reason: reason})
		start = time.Now()
		x := &Exec{Action: a, Log: &syncWriter{w: newProgressLog(&log, b.opt.Handler, a)}, GPUs: gpus, TempDir: tmp, Workspace: b.workspaceRoot(),
			UserCache: b.opt.UserCache, Store: b.opt.Store, Building: true, Memo: b.memo(reason)}
		res = runWork(ctx, w, x)
		releaseTmp()
		b.pools.release(w.Needs, gpus)
		ev.GPUs = gpus
	}
	res = storable(res)
	ev.Duration = time.Since(start)
	done, err := b.store(a, res, key, desc, log.Bytes(), ev.Duration)
	ev.Status, ev.Class, ev.Message, ev.Reason = done.Status, done.Class, done.Message, reason
	if done.Status == StatusOK {
		ev.Message = ""
	}
	passedOn(ev, done)
	b.mu.Lock()
	for k, n := range res.Counters {
		if b.summary.Counters == nil {
			b.summary.Counters = map[string]int64{}
		}
		b.summary.Counters[k] += n
	}
	b.mu.Unlock()
	b.emit(*ev)
	return done, err
}

// runWork runs prepared work in this process and returns its result, never nil: a Go error,
// a missing result and a failure caused by cancellation become transient failures.
func runWork(ctx context.Context, w *Work, x *Exec) *Result {
	if w.Run == nil {
		return Transient("error", "the rule prepared work with neither Run nor Done")
	}
	res, err := w.Run(ctx, x)
	switch {
	case err != nil:
		res = Transient("error", "%s", err)
	case res == nil:
		res = Transient("error", "the rule returned no result")
	}
	return asCancelled(ctx, res)
}

// memo is the Memo of an action this build executes for reason; the keys of the parts it
// recalls or keeps count as used, like those of the actions it replays. An action executed
// again with --rerun recalls nothing: its parts are computed again and the new ones kept, as
// a recorded action's result is.
func (b *builder) memo(reason string) Memo {
	if b.opt.Store == nil {
		return nil
	}
	return &storeMemo{store: b.opt.Store, fresh: reason == "--rerun", touch: func(key cache.Digest) {
		b.touchParts([]cache.Digest{key})
	}}
}

// workspaceRoot is "" when the build has no workspace (actions built by hand, in tests).
func (b *builder) workspaceRoot() string {
	if b.opt.Workspace == nil {
		return ""
	}
	return b.opt.Workspace.Root
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
