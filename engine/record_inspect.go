package engine

import (
	"errors"
	"fmt"

	"github.com/isobench/isobench/cache"
)

// `isobench status` and `isobench validate` keep records too (record.go), so that asking
// about an unchanged workspace costs what a null build costs. A status record keeps each
// selected target's state; it is made only when every action each state stands on (the
// target's closure and the actions made from it) was Recordable and had a result, so every
// state is cached, skipped or unused. Those states stand while the
// inputs are unchanged and the store's generation is the recorded one: a new entry cannot
// make a cached target stale, and anything that removes or replaces one changes the
// generation. A validate record keeps the counts validate prints; it needs no store, as
// validate reads none: loading and planning are functions of the stamped inputs (kinds plan
// from their decoded config alone, ARCHITECTURE's "Config is static").

// NewStatusRecord makes the record of a status walk whose states are states, from the
// store it read.
func NewStatusRecord(ws *Workspace, states []TargetState, store *cache.Store) (*Record, error) {
	inputs, ok := ws.inputs.list()
	if !ok || store == nil {
		return nil, errors.New("some input could not be stamped")
	}
	r := &Record{Of: RecordStatus, Root: ws.Root, Settings: ws.Settings, Inputs: inputs, Targets: len(states),
		Actions: make([]RecordedAction, 0, len(states))}
	seen := map[*Visit]bool{}
	for _, st := range states {
		switch {
		case !st.settled:
			return nil, fmt.Errorf("the state of %s depends on more than a record can check", st.Label)
		case st.State != "cached" && st.State != "skipped" && st.State != "unused" || len(st.Stale) > 0:
			return nil, fmt.Errorf("%s is %s", st.Label, st.State)
		}
		for _, v := range st.vouches {
			if !seen[v] {
				seen[v] = true
				if err := r.vouchFor(v); err != nil {
					return nil, err
				}
			}
		}
		r.Actions = append(r.Actions, RecordedAction{Label: st.Label.String(), Mnemonic: st.Kind, Status: Status(st.State),
			Class: st.Class, Message: st.Message, Notes: st.Notes})
	}
	if err := r.stampStore(store); err != nil {
		return nil, err
	}
	return r, nil
}

// States are the target states a status record keeps.
func (r *Record) States() ([]TargetState, error) {
	if r.Of != RecordStatus {
		return nil, fmt.Errorf("a record of %s holds no states", r.Of)
	}
	if err := r.parseActions(); err != nil {
		return nil, err
	}
	states := make([]TargetState, 0, len(r.Actions))
	for _, a := range r.Actions {
		l, err := ParseLabel(a.Label)
		if err != nil {
			return nil, err
		}
		states = append(states, TargetState{Label: l, Kind: a.Mnemonic, State: string(a.Status), Class: a.Class, Message: a.Message, Notes: a.Notes})
	}
	return states, nil
}

// NewValidateRecord makes the record of a validation that selected targets targets and
// planned planned actions.
func NewValidateRecord(ws *Workspace, targets, planned int) (*Record, error) {
	inputs, ok := ws.inputs.list()
	if !ok {
		return nil, errors.New("some input could not be stamped")
	}
	return &Record{Of: RecordValidate, Root: ws.Root, Settings: ws.Settings, Inputs: inputs, Targets: targets, Planned: planned}, nil
}
