package engine

import "context"

// inspector is the walk of `isobench status` and `why`: it decides every action as a build
// would and says what the build would do, without doing it. It executes nothing, emits no
// events and leaves no manifests or usage records. An action that would execute is stale,
// with the reason; so is everything that reads it.
type inspector struct {
	*scheduler
}

func inspect(ctx context.Context, roots []*Action, opt Options) (*Summary, map[*Action]*Visit, error) {
	s := &inspector{newScheduler(Closure(roots), opt)}
	err := s.walk(ctx, s.process, func(*Action, *Visit) bool { return false })
	return &s.summary, s.visits, err
}

func (s *inspector) process(ctx context.Context, a *Action, d *decision) error {
	v := d.visit
	switch d.verdict {
	case inputMissing:
		v.Reason = d.input.Reason // unknown, for the dependency's reason
	case inputFailed:
		v.Reason, v.Outcome = blockedBy(d.input)
	case shared:
		if d.leader.Outcome == nil {
			v.Stale, v.Reason = true, d.leader.Reason
		} else {
			v.Outcome = sharedOutcome(d.leader)
		}
	case replay:
		v.Outcome = outcomeOf(d.entry, true)
	case mustRun:
		switch {
		case d.invalid && (d.work.Restore != nil || s.hasUsers(a)):
			// A build would put the result back, or make it again only for a dependent that
			// executes: the result itself stands.
			v.Outcome = outcomeOf(d.entry, true)
		case d.work.Done != nil:
			// A result that needs no execution is known even when only inspecting. It is
			// stored as a build stores it, so that dependents find its outputs.
			out, err := s.store(a, storable(d.work.Done), v.Key, v.Desc, nil, 0)
			v.Outcome = out
			return err
		default:
			v.Stale, v.Reason = true, d.reason
		}
	}
	return nil
}
