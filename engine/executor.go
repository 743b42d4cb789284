package engine

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/isobench/isobench/cache"
)

// An Executor runs prepared work somewhere other than this process: a cluster scheduler
// (engine/slurm). The scheduler still prepares every action, computes its key, looks it up
// and stores the result; only the execution moves. Options.Executor nil runs everything
// here. An executor package registers itself with the loader as an ExecutorKind
// (executor_kind.go).
//
// Actions hold Go closures, not serialisable specs, so an executor does not ship the work
// itself: it ships what the action was derived from (the workspace on a shared filesystem,
// the action's ID, its dependencies' results and their blobs) and the remote side derives the
// same action again (NewInputs, CheckDescription) before running it.
type Executor interface {
	// Accepts says whether this executor runs the action; the rest run here. It sees the
	// prepared work, so it may leave cheap work local.
	Accepts(a *Action, w *Work) bool
	// Execute runs the job and returns its result. A Go error is a transient failure of the
	// executor (a lost job, a dead cluster), never cached. It must return when ctx is done,
	// cancelling what it started.
	Execute(ctx context.Context, j *Job) (*Result, error)
}

// Job is one action handed to an executor.
type Job struct {
	Action *Action
	Work   *Work
	Key    cache.Digest
	Desc   string // the key's description as this machine computed it
	// Deps holds the results of the action's dependencies by action ID: the remote side
	// gives them to Prepare.
	Deps      map[string]*Outcome
	Workspace *Workspace
	UserCache string
	// Store holds the dependencies' output blobs; Log receives the remote log.
	Store Blobs
	Log   io.Writer
}

// HardwarePrefix starts the key lines that describe the machine an action runs on
// (hardware.gpu_model, ...). Run elsewhere, those lines describe the machine the executor
// picked, so CheckDescription lets them differ; every other line must agree.
const HardwarePrefix = "hardware."

// elsewhere reports whether the build's executor takes this action.
func (b *builder) elsewhere(a *Action, w *Work) bool {
	return b.opt.Executor != nil && b.opt.Executor.Accepts(a, w)
}

// executeElsewhere hands prepared work to the build's executor. It holds none of this
// machine's resource pools: the executor has its own limits. It returns nil when the build
// was cancelled before the job started.
func (b *builder) executeElsewhere(ctx context.Context, a *Action, w *Work, key cache.Digest, desc, reason string, log *bytes.Buffer) *Result {
	if ctx.Err() != nil {
		return nil
	}
	deps := make(map[string]*Outcome, len(a.Deps))
	for _, d := range a.Deps {
		if o := b.visit(d); o != nil && o.Outcome != nil {
			deps[d.ID] = o.Outcome
		}
	}
	b.opt.Handler.Event(Event{Time: time.Now(), Type: "start", ID: a.ID, Label: a.Label.String(), Mnemonic: a.Mnemonic, Key: key, Reason: reason})
	j := &Job{Action: a, Work: w, Key: key, Desc: desc, Deps: deps, Workspace: b.opt.Workspace,
		UserCache: b.opt.UserCache, Store: b.opt.Store, Log: &syncWriter{w: log}}
	res, err := b.opt.Executor.Execute(ctx, j)
	switch {
	case err != nil:
		res = Transient("executor", "%s", err)
	case res == nil:
		res = Transient("executor", "the executor returned no result")
	}
	return asCancelled(ctx, res)
}
