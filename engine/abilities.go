package engine

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/zclconf/go-cty/cty"
)

// The optional abilities of a Kind beyond Decode and PerCommit. The command holds the list of
// registered kinds and asks each whether it has one; it never names a particular kind, so a
// kind's knowledge (where its stores live, how its report looks) stays in its package.

// MachineProber is a kind whose keys hold facts of the machine that no file stamp stands
// for (the benchmark kind's hardware class, the machine's python3). Prepare names them in
// Work.Machine; a build, status or validate answered from its record asks for each again and
// takes the full path when one differs, so a probe that can change is never skipped.
type MachineProber interface {
	// MachineFact returns the named fact as it is now; ok is false when the kind does not
	// know the name.
	MachineFact(name string) (value string, ok bool)
}

// RunVariables is a kind that names values known only when a run starts, for the shell to
// expand: the benchmark kind's server.port is "${ISOBENCH_PORT}", since the port is picked
// when a server session starts. Every BUILD.hcl expression sees them, as HCL variables whose
// values are shell expansions, so they belong only in strings the shell runs.
type RunVariables interface {
	RunVariables() map[string]cty.Value
}

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
	Kept       int // items a workspace's latest build used, never removed
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

// ReportFiles is a Reporter whose page links files kept beside it rather than in it: the
// dataset kind's server logs, too many and too large to embed. `isobench report` writes the
// blob of each digest at its path (slash-separated, relative to the page's directory), so
// that the page and its files, copied together, keep their links.
type ReportFiles interface {
	ReportFiles(label Label, o *Outcome, blobs Blobs) (map[string]cache.Digest, error)
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
// --run N` asks it; side is "", "base", "head" or a variant's name, run 0 for every run.
type LogFilter interface {
	FilterLog(a *Action, log []byte, side string, run int) []byte
}

// LogOutputs is a kind whose actions keep logs beside their own among their outputs: a
// serving benchmark's measure action stores the server's log of each run. `isobench log
// --server` asks it which of an action's outputs (their names) are such logs, of side ("" for
// every side) and run (counting warmups first, 0 for every run), in the order to print them.
type LogOutputs interface {
	LogOutputs(a *Action, outputs []string, side string, run int) []string
}

// Classifier is a kind whose targets can judge a commit: the generator kind asks its model
// whether a commit is a performance commit, with the endpoint, model, parameters and prompt
// the target declares. A commit search reaches it through ClassifierFor, as a benchmark
// reaches a generator through Planner.PlanFor, without importing the kind.
type Classifier interface {
	Classifier(p *Planner, t *Target) (Judge, error)
}

// ClassifierFor returns the Judge of target l, whose kind must be a Classifier.
func ClassifierFor(p *Planner, l Label) (Judge, error) {
	t := p.Target(l)
	if t == nil {
		return nil, fmt.Errorf("no target %s", l)
	}
	c, ok := p.Workspace().Kinds[t.Kind].(Classifier)
	if !ok {
		return nil, fmt.Errorf("%s is a %s, which cannot classify commits", l, t.Kind)
	}
	return c.Classifier(p, t)
}

// A Judge classifies commits for one target. It is made at plan time; each question is
// prepared from a commit's facts and asked only when no answer is cached.
type Judge interface {
	// Lines are the key lines every answer depends on whatever the commit: endpoint, model,
	// request parameters. Never a secret, never a scheduling hint.
	Lines() []Line
	// Needs is what asking holds while questions are in flight: the endpoint's pool, as many
	// slots as Concurrency.
	Needs() Needs
	// Concurrency is how many questions may be in flight at once.
	Concurrency() int
	// Question renders the question about one commit from its facts (the JSON of the commit
	// kind's output). It is cheap: nothing is sent. An error is the user's (a prompt that
	// cannot be rendered) and names the target.
	Question(facts []byte) (*Question, error)
}

// A Question is one prepared classification of one commit.
type Question struct {
	// Lines describe the question: the rendered messages. With the Judge's Lines and the
	// commit they key the answer, so a prompt edit asks again only where the rendered
	// prompt changed.
	Lines []Line
	// Ask sends the question. It never returns nil.
	Ask func(ctx context.Context, log io.Writer) *Answer
}

// An Answer is what asking gave.
//
// The model is asked for one JSON object, alone or in a ```json fence:
//
//	{"performance": true, "reason": "one sentence", "apis": ["vllm.LLM.generate"]}
//
// "performance" (a boolean) and "reason" (a non-empty string) are required, "apis" (a list of
// strings) may be empty or absent, and no other field is allowed. An answer that is not such
// an object is asked again with a message naming the problem, up to the target's
// max_attempts; after that the commit's answer is Invalid.
type Answer struct {
	Verdict *Verdict `json:"verdict,omitempty"`
	// Invalid says why no usable verdict came after every attempt; like Verdict, it is a
	// result, kept and replayed.
	Invalid string `json:"invalid,omitempty"`
	// Failure is a transient failure (network, 429/5xx, a missing key): never kept.
	Failure *Result `json:"-"`
	// Raw is the last answer's text; Model the model that served it.
	Raw   string `json:"raw,omitempty"`
	Model string `json:"model,omitempty"`
	// Counters are this ask's requests and tokens, for the build summary.
	Counters map[string]int64 `json:"-"`
}

// Verdict is a model's judgement of one commit, in the documented answer format.
type Verdict struct {
	Performance bool     `json:"performance"`
	Reason      string   `json:"reason"`
	APIs        []string `json:"apis"`
}
