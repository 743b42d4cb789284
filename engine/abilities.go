package engine

import (
	"io"
	"time"
)

// The optional abilities of a Kind beyond Decode and PerCommit. The command holds the list of
// registered kinds and asks each whether it has one; it never names a particular kind, so a
// kind's knowledge (where its stores live, how its report looks) stays in its package.

// BuildObserver is told what a build did once it ends, to record facts that live outside the
// cache: the environment kind remembers which environments the build used, so that gc keeps
// them. An error is a warning; the build's results stand.
type BuildObserver interface {
	BuildDone(b *FinishedBuild) error
}

// FinishedBuild is what a BuildObserver is told.
type FinishedBuild struct {
	Workspace *Workspace
	UserCache string
	// Visits holds what the build learned about every action it walked.
	Visits map[*Action]*Visit
	Store  Blobs
}

// StoreOwner is a kind that keeps a store of its own under the per-user cache (the
// environment kind's virtual environments): `status` reports its size, `gc` trims it.
type StoreOwner interface {
	StoreUsage(userCache string) (StoreUsage, error)
	CollectGarbage(userCache string, o StoreGCOptions) (*StoreGC, error)
}

// StoreUsage is how much a kind's store holds.
type StoreUsage struct {
	Name  string // what the store holds, plural: "environments"
	Root  string // where it is
	Items int
	Bytes int64
}

// StoreGCOptions are gc's limits, the same for the cache and every kind's store.
type StoreGCOptions struct {
	OlderThan time.Duration // remove what was not used for this long (0: no age limit)
	MaxBytes  int64         // then the least recently used until the store fits (0: no budget)
	DryRun    bool
}

// StoreGC is what a kind's gc removed, or would remove in a dry run.
type StoreGC struct {
	Name       string // plural, as in StoreUsage: "environments"
	Item       string // singular: "environment"
	Removed    []RemovedItem
	Busy       int // items in use by a running build, left alone
	BytesFreed int64
	BytesLeft  int64
}

// RemovedItem is one item a kind's gc removed.
type RemovedItem struct {
	Key      string
	Bytes    int64
	LastUsed time.Time
}

// Reporter writes a page a person reads about a target's finished result: the dataset kind's
// HTML report. `isobench report` offers it for the targets whose kind has the ability.
type Reporter interface {
	WriteReport(w io.Writer, label Label, o *Outcome, blobs Blobs) error
}

// ResultTabler is a kind whose targets a build ends by showing as rows of a result table (the
// benchmark kind: verdict, speedup, p-value), the way pytest and asv end with a summary. The
// command asks it about every action planned for one of its targets; ok false leaves the
// action out (not the kind's main action, say). o is nil for an action that did not finish
// (blocked, or not reached): the command then fills Status and Message.
type ResultTabler interface {
	ResultRow(a *Action, o *Outcome, blobs Blobs) (row ResultRow, ok bool)
}

// ResultRow is one line of the result table, in the terminal and in `build --json`. Pointer
// fields are null when unknown (a failure before any sample, a benchmark that did not run).
type ResultRow struct {
	Target  string   `json:"target"`
	Commit  string   `json:"commit,omitempty"`
	Status  Status   `json:"status"`
	Verdict string   `json:"verdict,omitempty"`
	Speedup *float64 `json:"speedup"`
	CILow   *float64 `json:"ci_low"`
	CIHigh  *float64 `json:"ci_high"`
	PValue  *float64 `json:"p_value"`
	// BaseRuns and HeadRuns count the measured runs of each side, warmups aside.
	BaseRuns int    `json:"base_runs"`
	HeadRuns int    `json:"head_runs"`
	Class    string `json:"failure_class,omitempty"`
	Message  string `json:"message,omitempty"`
	Cached   bool   `json:"cached"`
}

// LogFilter is a kind whose action logs hold sections a reader may ask for alone: the
// benchmark kind's measure log, one section per run of each side. `isobench log --side S
// --run N` asks it; side is "" or "base" or "head", run 0 for every run.
type LogFilter interface {
	FilterLog(a *Action, log []byte, side string, run int) []byte
}
