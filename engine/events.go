package engine

import (
	"time"

	"github.com/isobench/isobench/cache"
)

// Event is one thing that happened to an action during a build. The command renders events
// as a live display, as plain lines, or as JSONL: three renderings of the same stream.
type Event struct {
	Time     time.Time     `json:"time"`
	Type     string        `json:"type"` // "start", "finish", or "progress" (Message: the last line of the log)
	ID       string        `json:"id"`
	Label    string        `json:"label"`
	Mnemonic string        `json:"kind"`
	Key      cache.Digest  `json:"key,omitempty"`
	Status   Status        `json:"status,omitempty"`
	Class    string        `json:"class,omitempty"`
	Message  string        `json:"message,omitempty"`
	Cached   bool          `json:"cached,omitempty"`
	Duration time.Duration `json:"-"`
	GPUs     []int         `json:"gpus,omitempty"`
	// BlockedBy names the action whose failure blocked this one.
	BlockedBy string `json:"blocked_by,omitempty"`
	// Reason says why an action ran (no cached result, --rerun, --retry-failed).
	Reason string `json:"reason,omitempty"`
}

// Handler receives events. Implementations must be safe for concurrent use.
type Handler interface {
	Event(Event)
}

// Handlers fans events out to several handlers.
type Handlers []Handler

func (hs Handlers) Event(e Event) {
	for _, h := range hs {
		h.Event(e)
	}
}

// Counts tally outcomes.
type Counts struct {
	Executed int `json:"executed"`
	Cached   int `json:"cached"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	Blocked  int `json:"blocked"`
}

func (c *Counts) add(e Event) {
	switch {
	case e.Status == StatusBlocked:
		c.Blocked++
	case e.Status == StatusFailed:
		c.Failed++
	case e.Status == StatusSkipped:
		c.Skipped++
	case e.Cached:
		c.Cached++
	default:
		c.Executed++
	}
	if !e.Cached && e.Status != StatusBlocked && e.Status != StatusOK {
		// A failed or skipped action that ran this build was executed too.
		c.Executed++
	}
}

// Summary is the outcome of a build.
type Summary struct {
	Counts
	ByMnemonic map[string]*Counts `json:"by_kind"`
	// Failures are the root causes, each reported once; blocked actions are not among them.
	Failures  []Event          `json:"failures,omitempty"`
	BlockedBy []Event          `json:"blocked_actions,omitempty"`
	Counters  map[string]int64 `json:"counters,omitempty"`
	Seconds   float64          `json:"seconds"`
	// Interrupted is true when the build was cancelled (Ctrl-C) or stopped at the first
	// failure without --keep-going; NotRun counts the actions it never reached.
	Interrupted bool `json:"interrupted,omitempty"`
	NotRun      int  `json:"not_run,omitempty"`
}

func (s *Summary) record(e Event) {
	s.Counts.add(e)
	if s.ByMnemonic == nil {
		s.ByMnemonic = map[string]*Counts{}
	}
	k := s.ByMnemonic[e.Mnemonic]
	if k == nil {
		k = &Counts{}
		s.ByMnemonic[e.Mnemonic] = k
	}
	k.add(e)
	switch e.Status {
	case StatusFailed:
		s.Failures = append(s.Failures, e)
	case StatusBlocked:
		s.BlockedBy = append(s.BlockedBy, e)
	}
}
