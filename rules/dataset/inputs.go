package dataset

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// gathered is what Prepare learns from the dependencies' results: for every benchmark its
// measure action and every action that one read (the commit, the generated test, the
// environments, and whatever they depend on), each with its Outcome. Nothing here has been
// read from the CAS yet.
type gathered struct {
	benchmarks []benchInput // sorted by label
	actions    []*engine.Action
	outcomes   map[*engine.Action]*engine.Outcome
}

type benchInput struct {
	label   engine.Label
	measure *engine.Action
	closure []*engine.Action // the measure and everything it read, sorted by ID
}

// gather collects the results of every input. A dependency that did not finish (it cannot
// happen in a build, but a reader should not crash on it) counts as blocked.
func gather(in *engine.Inputs, inputs []input) *gathered {
	g := &gathered{outcomes: map[*engine.Action]*engine.Outcome{}}
	for _, inp := range inputs {
		b := benchInput{label: inp.benchmark, measure: inp.measure}
		for _, a := range engine.Closure([]*engine.Action{inp.measure}) {
			b.closure = append(b.closure, a)
			if _, ok := g.outcomes[a]; ok {
				continue
			}
			o := in.Result(a)
			if o == nil {
				o = &engine.Outcome{Status: engine.StatusBlocked, Message: a.ID + " did not finish"}
			}
			g.outcomes[a] = o
			g.actions = append(g.actions, a)
		}
		sortActions(b.closure)
		g.benchmarks = append(g.benchmarks, b)
	}
	sort.Slice(g.benchmarks, func(i, j int) bool { return g.benchmarks[i].label.String() < g.benchmarks[j].label.String() })
	sortActions(g.actions)
	return g
}

func sortActions(as []*engine.Action) {
	sort.Slice(as, func(i, j int) bool { return as[i].ID < as[j].ID })
}

// lineName turns an action ID into a key line name: IDs hold spaces ("environment //envs:x @
// //commits:y base"), and a line's name ends at its first space.
func lineName(id string) string {
	return "in." + strings.Join(strings.Fields(id), "_")
}

// buildTime is the newest creation time among a record's inputs, RFC 3339 in UTC; nil when
// the store holds none of their results.
func (g *gathered) buildTime(actions []*engine.Action) *string {
	var newest time.Time
	for _, a := range actions {
		if t := g.outcomes[a].Created; t.After(newest) {
			newest = t
		}
	}
	if newest.IsZero() {
		return nil
	}
	s := created(newest)
	return &s
}

// created writes a creation time as records and key lines hold it.
func created(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// source is everything one record is assembled from, read from the CAS and decoded.
type source struct {
	benchmark   engine.Label
	commit      engine.Label
	measured    *engine.Outcome // of the measure action
	facts       *artifact.CommitFacts
	generation  *artifact.Generation
	script      string // the generated script, when there is one
	generated   bool   // a generate action was part of the benchmark
	measurement *artifact.Measurement
	// variantRuns are the runs of each variant's measurement, by the variant's name: its own
	// and the base and head runs taken beside it.
	variantRuns map[string][]artifact.Sample
	envs        map[artifact.Side]*artifact.Environment
	actions     []ActionRef
	buildTime   *string
}

// invalidInput is a dependency output that does not decode: a bug in another rule, reported
// as a deterministic failure of the dataset rather than a record built from garbage.
type invalidInput struct{ err error }

func (e *invalidInput) Error() string { return e.err.Error() }

// load reads and decodes the outputs one benchmark's record needs. It knows the actions by
// the outputs they declare (Action.Produces, the output names of package artifact), never by
// their kind or ID: the commit is the action that makes commit facts, a generated test the
// one that makes a script and a generation record, an environment the one that makes an
// environment. One that failed or was blocked is still known for what it was; what it did
// not make adds nothing to the record but its provenance.
func (g *gathered) load(store engine.Blobs, b benchInput) (*source, error) {
	src := &source{benchmark: b.label, measured: g.outcomes[b.measure], envs: map[artifact.Side]*artifact.Environment{},
		variantRuns: map[string][]artifact.Sample{}}
	// has says whether the action was planned to make the output: what it is for, known
	// even when it failed or was blocked and made nothing.
	has := func(a *engine.Action, name string) bool {
		return slices.Contains(a.Produces, name)
	}
	// get reads an output whatever the action's status: a failed action may still leave one
	// for its readers (a rejected generation keeps its attempts).
	get := func(a *engine.Action, name string, v any) (bool, error) {
		dg, ok := g.outcomes[a].Outputs[name]
		if !ok {
			return false, nil
		}
		data, err := store.Get(dg)
		if err != nil {
			return false, fmt.Errorf("reading output %q of %s from the cache: %w", name, a.ID, err)
		}
		if s, isString := v.(*string); isString {
			*s = string(data)
			return true, nil
		}
		if err := json.Unmarshal(data, v); err != nil {
			return false, &invalidInput{fmt.Errorf("output %q of %s is not valid: %w", name, a.ID, err)}
		}
		return true, nil
	}
	// The commit the measurement compares is the measure's own dependency; a commit reached
	// only through another action is a fallback.
	commits := append(append([]*engine.Action{}, b.measure.Deps...), b.closure...)
	for _, a := range commits {
		if !has(a, artifact.CommitOutput) {
			continue
		}
		src.commit = a.Label
		var f artifact.CommitFacts
		if _, err := get(a, artifact.CommitOutput, &f); err != nil {
			return nil, err
		}
		src.facts = &f
		break
	}
	for _, a := range b.closure {
		var err error
		switch {
		case has(a, artifact.GenerationOutput) || has(a, artifact.ScriptOutput):
			src.generated = true
			var gen artifact.Generation
			var ok bool
			if ok, err = get(a, artifact.GenerationOutput, &gen); ok {
				src.generation = &gen
			}
			if err == nil {
				_, err = get(a, artifact.ScriptOutput, &src.script)
			}
		case has(a, artifact.EnvironmentOutput):
			var env artifact.Environment
			var ok bool
			if ok, err = get(a, artifact.EnvironmentOutput, &env); ok && env.Side != "" {
				src.envs[env.Side] = &env
			}
		}
		if err != nil {
			return nil, err
		}
	}
	// measurement reads a measurement's record: its output, or the Meta a failed one keeps
	// what it learned in. Meta of another shape (a rule that stores something else there) is
	// not an error: the record just knows less.
	measurement := func(a *engine.Action) (*artifact.Measurement, error) {
		var m artifact.Measurement
		if ok, err := get(a, artifact.MeasurementOutput, &m); ok || err != nil {
			return &m, err
		}
		if meta := g.outcomes[a].Meta; len(meta) > 0 && json.Unmarshal(meta, &m) == nil && (m.Benchmark != "" || len(m.Samples) > 0) {
			return &m, nil
		}
		return nil, nil
	}
	var err error
	if src.measurement, err = measurement(b.measure); err != nil {
		return nil, err
	}
	// A variant is measured by an action of its own, beside the one b.measure gathers it
	// with: its runs (and their server sessions) are in that action's record alone.
	for _, a := range b.closure {
		if a == b.measure || !has(a, artifact.MeasurementOutput) {
			continue
		}
		m, err := measurement(a)
		if err != nil {
			return nil, err
		}
		if m != nil && m.Variant != nil {
			src.variantRuns[m.Variant.Name] = m.Samples
		}
	}
	if src.commit.IsZero() && src.measurement != nil {
		src.commit, _ = engine.ParseLabel(src.measurement.Commit)
	}
	for _, a := range b.closure {
		src.actions = append(src.actions, g.ref(a))
	}
	src.buildTime = g.buildTime(b.closure)
	return src, nil
}

// ref describes one input action for provenance.
func (g *gathered) ref(a *engine.Action) ActionRef {
	o := g.outcomes[a]
	return ActionRef{ID: a.ID, Kind: a.Mnemonic, Label: a.Label.String(), Key: str(string(o.Key)),
		Status: string(o.Status), Class: str(o.Class), Log: str(string(o.Log))}
}
