package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/isobench/isobench/cache"
)

// A cached result can outlive what it describes outside the cache: the directory of an
// environment (removed by gc, or never made on this machine when the result came from a
// remote cache), the files of a dataset (deleted by the user). Work.StillValid says so.
// Such a result still stands for its inputs and outputs, so its dependents' keys do not
// change; only an action that needs the thing itself must wait for it to be made again.
// So: a rule that can put the thing back from the cached outputs does (Restore); otherwise
// the action is re-executed only when a dependent executes (materialize), or at once when
// nothing in this build depends on it.

// refresh is the pending re-execution of a replayed action whose result is no longer valid.
type refresh struct {
	work *Work
	once sync.Once
	err  error
}

// stillValid decides whether a cached entry may be replayed as it is. It returns false when
// the action must execute now.
func (s *scheduler) stillValid(a *Action, w *Work, e *cache.Entry, out *Visit) bool {
	if w.StillValid == nil || w.StillValid(outcomeOf(e, true)) {
		return true
	}
	if w.Restore != nil && (s.opt.Inspect || w.Restore(outcomeOf(e, true), s.opt.Store) == nil) {
		return true
	}
	s.mu.Lock()
	hasUsers := len(s.users[a]) > 0
	s.mu.Unlock()
	if !hasUsers {
		return false
	}
	out.refresh = &refresh{work: w}
	return true
}

// materialize re-executes, once, every dependency of a whose replayed result is no longer
// valid, before a executes.
func (s *scheduler) materialize(ctx context.Context, a *Action) error {
	for _, d := range a.Deps {
		o := s.outcome(d)
		if o == nil || o.refresh == nil {
			continue
		}
		r := o.refresh
		r.once.Do(func() {
			ev := Event{Type: "finish", ID: d.ID, Label: d.Label.String(), Mnemonic: d.Mnemonic, Key: o.Key}
			done, err := s.execute(ctx, d, r.work, o.Key, o.Desc, "needed by "+a.ID+"; its cached result is no longer valid", &ev)
			switch {
			case err != nil:
				r.err = err
			case done == nil:
				r.err = fmt.Errorf("%s was not made again (cancelled)", d.ID)
			case done.Status != StatusOK:
				r.err = fmt.Errorf("%s had to be made again for %s and failed: %s", d.ID, a.ID, done.Message)
			case !sameOutputs(done.Outputs, o.Outcome.Outputs):
				r.err = fmt.Errorf("%s was made again for %s but its outputs changed; build again", d.ID, a.ID)
			}
		})
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

func sameOutputs(a, b map[string]cache.Digest) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
