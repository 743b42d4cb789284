package engine

import (
	"fmt"
	"time"

	"github.com/isobench/isobench/cache"
)

// A Memo keeps parts of one action's result under keys of their own, for an action whose parts
// are known only once it runs: a commit search learns which commits to ask a model about from
// the history scan it depends on, so the questions cannot be planned as actions of their own
// before the build starts. Each part is described like an action ("name value" lines, see
// PartDescription) and stored as a cache entry under the key of that description the moment
// it is kept, so a build that is stopped halfway keeps what it learned, a rebuild recalls
// every part, and a changed part (a prompt edit for one commit) misses alone.
//
// Only results are kept: a rule never keeps a transient failure, which is then asked again by
// the next build. An action executed with --rerun recalls nothing and keeps every part anew.
// Exec.Memo is nil where no store is at hand (an action run on a cluster node); a rule then
// computes every part.
type Memo interface {
	// Recall returns the value kept under the description's key.
	Recall(desc string) (value []byte, ok bool, err error)
	// Keep stores value under the description's key and marks it used by this build.
	Keep(desc string, value []byte) error
}

// PartDescription is the description a part's key is computed from: the same header as an
// action's (schema, mnemonic, rule version), then the lines.
func PartDescription(mnemonic string, ruleVersion int, lines []Line) string {
	return Description(mnemonic, &Work{RuleVersion: ruleVersion, Lines: lines})
}

// partOutput is the output name a part's value is stored under in its entry.
const partOutput = "part"

// storeMemo is the Memo of a build over its store.
type storeMemo struct {
	store *cache.Store
	fresh bool // recall nothing (--rerun)
	// touch records a key as used by this build, for gc, as replayed actions are.
	touch func(cache.Digest)
}

func (m *storeMemo) Recall(desc string) ([]byte, bool, error) {
	if m.fresh {
		return nil, false, nil
	}
	key := KeyOf(desc)
	e, ok, err := m.store.GetEntry(key)
	if err != nil || !ok {
		return nil, false, err
	}
	d, ok := e.Outputs[partOutput]
	if !ok || e.Lines != desc {
		return nil, false, nil
	}
	v, err := m.store.Get(d)
	if err != nil {
		return nil, false, fmt.Errorf("the part kept under %s cannot be read: %w", key, err)
	}
	m.touch(key)
	return v, true, nil
}

func (m *storeMemo) Keep(desc string, value []byte) error {
	d, err := m.store.Put(value)
	if err != nil {
		return err
	}
	key := KeyOf(desc)
	e := &cache.Entry{Key: key, Status: string(StatusOK), Lines: desc, Mnemonic: partMnemonic(desc),
		Created: time.Now().UTC(), Outputs: map[string]cache.Digest{partOutput: d}}
	if err := m.store.PutEntry(e); err != nil {
		return err
	}
	m.touch(key)
	return nil
}

// partMnemonic reads the mnemonic back from a part's description, for the store's counts.
func partMnemonic(desc string) string {
	for _, l := range parseDescription(desc) {
		if l.Name == "kind" {
			return l.Value
		}
	}
	return ""
}
