package engine

import (
	"encoding/json"
	"time"

	"github.com/isobench/isobench/cache"
)

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
	if res.Status == StatusFailed {
		e.BlockedBy = res.BlockedBy
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

// storable returns res, or, when its status is one a rule must not return (empty, or
// "blocked"), a transient error in its place: storing it would block every dependent for good.
func storable(res *Result) *Result {
	switch res.Status {
	case StatusOK, StatusFailed, StatusSkipped:
		return res
	}
	return Transient("error", "the rule returned the invalid status %q", res.Status)
}

// outcomeOf is the outcome a stored entry stands for.
func outcomeOf(e *cache.Entry, cached bool) *Outcome {
	return &Outcome{Key: e.Key, Status: Status(e.Status), Class: e.Class, Message: e.Message, Outputs: e.Outputs,
		Meta: e.Meta, Log: e.Log, Cached: cached, Created: e.Created, BlockedBy: e.BlockedBy}
}
