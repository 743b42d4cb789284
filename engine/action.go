package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/isobench/isobench/cache"
)

// An Action is one unit of work derived from targets: resolve a commit, generate a test, build
// an environment, measure, assemble a dataset. Rules create actions while planning; the
// scheduler prepares and runs them once their dependencies are done.
//
// Two actions with the same ID are the same action (the planner merges them), so a rule gives
// an action an ID naming everything that identifies the work before it runs, such as
// "environment //envs:wheel @ //commits:x base".
type Action struct {
	ID string
	// Mnemonic names the sort of work ("commit", "generate", "environment", "measure",
	// "dataset"): the build summary counts by it and executors choose by it. It is not the
	// target's kind: a benchmark target plans a "measure" action. Stored and printed as
	// "kind", the name it had before.
	Mnemonic string
	Label    Label // the target this action was planned for
	// Produces names the outputs a successful run stores, declared when the action is
	// planned, so that a reader can tell what an action makes before it has run: a dataset
	// finds the commit among a measurement's inputs even when the commit failed.
	Produces []string
	Deps     []*Action

	// Prepare computes the action's key lines and how to run it, from the results of Deps. It
	// runs in `build` and in `status`, so it must be cheap: read inputs and local files only,
	// never the network, never execute anything heavy. Returning a *Failure fails the action
	// without caching it.
	Prepare func(ctx context.Context, in *Inputs) (*Work, error)

	// AcceptFailedDeps lets the action run when some of its dependencies failed or were
	// skipped (a dataset records failures); otherwise such an action is blocked.
	AcceptFailedDeps bool
}

func (a *Action) String() string { return a.ID }

// Work is a prepared action: the description its key is computed from, and how to run it.
type Work struct {
	// RuleVersion changes whenever the rule's behaviour changes in a way that invalidates old
	// results. It enters the key.
	RuleVersion int
	// Lines describe everything the result depends on, as "name value" lines.
	Lines []Line
	// Needs are the resources held while Run executes.
	Needs Needs
	// Run executes the work. It returns a Result whose status says what happened; a Go error is
	// treated as a transient failure.
	Run func(ctx context.Context, x *Exec) (*Result, error)
	// StillValid, when set, is asked before a cached result is replayed: an environment whose
	// directory was removed must be built again even though its entry is there.
	StillValid func(d *Outcome) bool
	// Restore, when set, is asked when StillValid fails: it puts the result back from the
	// cached outputs (a dataset rewrites its files from the blobs) without executing, and the
	// result counts as replayed. An action without Restore whose result is no longer valid is
	// executed again, but only when something that reads it executes (an environment removed
	// by gc is rebuilt when a measurement needs it, not to replay a cached one).
	Restore func(d *Outcome, blobs Blobs) error
	// Done, when set, is the result without running anything (a requirement this machine
	// cannot meet, say). It is cached like any other result.
	Done *Result
	// Parts are the keys of the parts Run keeps or recalls through Exec.Memo: a replayed
	// result marks them used, so gc keeps them for as long as it keeps the result and a
	// later run that needs most of them again (a longer range) still finds them.
	Parts []cache.Digest
	// NoTempDir says Run uses no Exec.TempDir, so none is made: a directory made, locked and
	// removed for each of 10,000 commit actions costs more than some of them take to run.
	NoTempDir bool
	// Recordable says the key lines, and whether the cached result still stands, follow from
	// what a record of the build can check without preparing anything: the target's config
	// and the outputs of the action's dependencies, the files and directories named in Watch,
	// and the facts of the machine named in Machine. Prepare read no other file (but through
	// file() and templatefile()), ran no process but the probes behind Machine, asked no
	// network or clock, and the action was planned from the config alone. A build all of whose
	// actions say so, and that ended well, may be recorded (record.go): the next build with the
	// same request answers from the record while every stamped file is unchanged and every
	// machine fact is as it was, without loading or preparing anything. Work with StillValid
	// or Restore is recordable only with Watch (what StillValid looks at lives outside the
	// cache and must be stamped), and work with Parts never (their keys are not recorded).
	Recordable bool
	// Watch names the files and directories StillValid reads, and nothing else: a build
	// stamps them before StillValid answers true (or, after Run or Restore made them, before
	// it is asked again), and a record holds the stamps, so that while they are unchanged
	// StillValid would answer as it did. A path that cannot be stamped (it is missing) makes
	// the build unrecordable.
	Watch []string
	// Machine holds the facts of this machine the key lines hold, by name (the benchmark
	// kind's hardware class), as Prepare found them. A build answered from its record asks
	// the kind for each again (MachineProber) and takes the full path when one differs.
	Machine map[string]string
}

// Needs are what an action holds while it runs. CPU slots and GPUs come from the machine;
// Pools are named semaphores a rule declares with Planner.Pool (LLM endpoint concurrency).
type Needs struct {
	CPU   int
	GPUs  int
	Pools map[string]int
}

// Status is how an action ended.
type Status string

const (
	StatusOK      Status = "ok"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
	// StatusBlocked is never stored: it marks an action that did not run because a dependency
	// failed.
	StatusBlocked Status = "blocked"
)

// Result is what a rule's Run returns. Outputs are stored in the CAS; downstream keys see only
// their digests.
type Result struct {
	Status    Status
	Class     string // failure class, e.g. "no_wheel"; "" for ok
	Message   string // one sentence for the user
	Transient bool   // never cached: network, 429/5xx, cancellation, OOM kill
	Outputs   map[string][]byte
	Meta      any              // JSON-encodable facts (durations, hardware, tokens)
	Counters  map[string]int64 // summed into the build summary (requests, tokens_in, ...)
	// BlockedBy, on a failure, names the dependency (its action ID) whose failure this one
	// passes on: an action that accepts failed dependencies and records theirs. It is stored
	// and seen by dependents like any failure, but the build reports it blocked by that
	// dependency, so one cause counts once.
	BlockedBy string
}

// OK returns a successful result with outputs.
func OK(outputs map[string][]byte, meta any) *Result {
	return &Result{Status: StatusOK, Outputs: outputs, Meta: meta}
}

// Failed returns a deterministic failure of the given class; it is cached.
func Failed(class, format string, args ...any) *Result {
	return &Result{Status: StatusFailed, Class: class, Message: fmt.Sprintf(format, args...)}
}

// Skipped returns a skipped result (an unmet requirement); it is cached.
func Skipped(format string, args ...any) *Result {
	return &Result{Status: StatusSkipped, Class: "skipped", Message: fmt.Sprintf(format, args...)}
}

// Transient returns a failure that is never cached.
func Transient(class, format string, args ...any) *Result {
	return &Result{Status: StatusFailed, Class: class, Message: fmt.Sprintf(format, args...), Transient: true}
}

// asCancelled makes a failure that came while ctx was cancelled a transient "cancelled" one
// (it would have been something else only because of the cancellation), keeping a message
// that already says it was cancelled as it is.
func asCancelled(ctx context.Context, res *Result) *Result {
	if ctx.Err() == nil || res.Status == StatusOK || res.Class == "cancelled" {
		return res
	}
	return Transient("cancelled", "cancelled: %s", res.Message)
}

// Failure is an error a rule returns from Prepare; the action fails with its class.
type Failure struct {
	Class     string
	Message   string
	Transient bool
}

func (f *Failure) Error() string { return f.Message }

// Fail builds a *Failure for Prepare.
func Fail(class, format string, args ...any) error {
	return &Failure{Class: class, Message: fmt.Sprintf(format, args...)}
}

// Exec is what a running action may use.
type Exec struct {
	Action *Action
	// Log collects the action's log; it is stored in the CAS with the result.
	Log io.Writer
	// GPUs are the device indices held for this run (len == Needs.GPUs).
	GPUs []int
	// TempDir is a fresh directory removed after the run; "" when the work said NoTempDir.
	TempDir string
	// Workspace is the workspace root; UserCache the per-user cache root (mirrors, env store).
	Workspace string
	UserCache string
	// Store gives access to blobs.
	Store Blobs
	// Building is false when isobench only inspects (status, why).
	Building bool
	// Memo keeps parts of the result under keys of their own (memo.go); nil where no store
	// is at hand.
	Memo Memo
}

// Blobs reads and writes the content-addressed store.
type Blobs interface {
	Put(data []byte) (cache.Digest, error)
	Get(d cache.Digest) ([]byte, error)
}

// An Outcome is a finished action's result as its dependents see it: what a rule's Run
// returned (a Result), with the outputs stored and named by digest. A cached one is the
// stored cache.Entry replayed.
type Outcome struct {
	Key     cache.Digest
	Status  Status
	Class   string
	Message string
	Outputs map[string]cache.Digest
	Meta    json.RawMessage
	Log     cache.Digest
	Cached  bool // replayed from the cache rather than executed in this build
	// BlockedBy is the Result's: the dependency whose failure this failure passes on.
	BlockedBy string
	// Created is when the result was made; zero for one the store does not hold (blocked,
	// or a transient failure).
	Created time.Time

	transient bool // not stored: dependents in this build see it, later builds do not
}

// Inputs gives Prepare the results of an action's dependencies.
type Inputs struct {
	Action    *Action
	Workspace *Workspace
	UserCache string
	// Building is false when isobench only inspects (status, why): Prepare must then not fetch.
	Building bool
	Store    Blobs
	done     func(*Action) *Outcome
}

// Stamp notes that Prepare is about to read the file at path, outside the functions that
// HCL evaluation stamps (file(), templatefile()): a record of the build stamps it with the
// workspace's files, so that a change to it sends the next build down the full path. Call it
// before the read.
func (in *Inputs) Stamp(path string) {
	if in.Workspace != nil {
		in.Workspace.inputs.saw(path)
	}
}

// Result returns the outcome of dependency a (nil if a is not finished).
func (in *Inputs) Result(a *Action) *Outcome { return in.done(a) }

// Output returns the named output blob of dependency a.
func (in *Inputs) Output(a *Action, name string) ([]byte, error) {
	d := in.done(a)
	if d == nil {
		return nil, fmt.Errorf("%s has not finished", a.ID)
	}
	dg, ok := d.Outputs[name]
	if !ok {
		return nil, fmt.Errorf("%s has no output %q", a.ID, name)
	}
	return in.Store.Get(dg)
}

// OutputDigest returns the digest of a dependency's named output ("" when absent).
func (in *Inputs) OutputDigest(a *Action, name string) cache.Digest {
	if d := in.done(a); d != nil {
		return d.Outputs[name]
	}
	return ""
}

// DecodeOutput reads a dependency's JSON output into v.
func (in *Inputs) DecodeOutput(a *Action, name string, v any) error {
	data, err := in.Output(a, name)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
