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

// restoreOrDefer is a build's answer to a cached result that is no longer valid
// (decision.invalid): the rule puts it back (Work.Restore), or, when something in this build
// reads it, it is replayed now and made again just before a reader executes. It reports
// whether the result is replayed; false means the action executes now.
func (b *builder) restoreOrDefer(a *Action, d *decision) bool {
	w := d.work
	if w.Restore != nil && w.Restore(outcomeOf(d.entry, true), b.opt.Store) == nil {
		return true
	}
	if !b.hasUsers(a) {
		return false
	}
	d.visit.refresh = &refresh{work: w}
	return true
}

// materialize re-executes, once, every dependency of a whose replayed result is no longer
// valid, before a executes.
func (b *builder) materialize(ctx context.Context, a *Action) error {
	for _, d := range a.Deps {
		o := b.visit(d)
		if o == nil || o.refresh == nil {
			continue
		}
		r := o.refresh
		r.once.Do(func() {
			ev := Event{Type: "finish", ID: d.ID, Label: d.Label.String(), Mnemonic: d.Mnemonic, Key: o.Key}
			done, err := b.execute(ctx, d, r.work, o.Key, o.Desc, "needed by "+a.ID+"; its cached result is no longer valid", &ev)
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
