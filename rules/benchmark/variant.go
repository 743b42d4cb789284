package benchmark

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/benchmark/stats"
)

// Variants: candidate patches measured as sides of their own.
//
// A benchmark's `variants = { claude = file("patches/claude/x.diff") }` names patches to its
// base commit: an agent's attempt at the optimisation the human's commit made. Each variant is
// a measurement unit of its own, keyed by everything the base/head measurement is keyed by
// plus the variant's name and patch: one action runs base, head and the variant interleaved
// in one balanced order (ScheduleSides), so its speedups over base and over head come from
// runs that shared the machine's moments, the build, the device and the test. The base/head
// measurement stays the action it always was, with the key it always had; a third action of
// the target ("variants") gathers the units into the benchmark's record. Adding one more
// agent's patch adds one unit: only it runs, the base/head measurement and the other
// variants are replayed.
//
// The price of that design is that each unit runs base and head again beside its variant
// (three processes a round instead of one). Measuring the variant alone and comparing it with
// the stored base and head runs would cost a third, but would compare runs taken at different
// times, possibly on another machine of the class: the mistake that gave upstream's agent
// table a 60% "regression" measured on another GPU than the human side.

// Failure classes of a variant (cached, like the measurement's).
const (
	ClassPatchFailed     = "patch_failed"      // git apply refused the patch at base
	ClassPatchNeedsBuild = "patch_needs_build" // it touches compiled code; the environment installs a wheel
	ClassVariantFailed   = "variant_failed"    // the test exited non-zero with the patch applied
)

// Variant is one candidate patch of a benchmark.
type Variant struct {
	Name  string
	Patch string
}

// Side is the variant's side in samples and schedules: its name.
func (v *Variant) Side() artifact.Side { return artifact.Side(v.Name) }

// Digest is the SHA-256 of the patch text.
func (v *Variant) Digest() string {
	sum := sha256.Sum256([]byte(v.Patch))
	return hex.EncodeToString(sum[:])
}

var variantName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// checkVariants makes the variants of `variants` (decoded in config.go; rng is the
// attribute's): names are plain words, never "base" or "head" (the sides a variant is
// measured beside), and each patch has text.
func checkVariants(m map[string]string, rng hcl.Range, invalid func(rng hcl.Range, err error)) []Variant {
	var out []Variant
	for _, name := range slices.Sorted(maps.Keys(m)) {
		switch {
		case !variantName.MatchString(name):
			invalid(rng, fmt.Errorf("the variant name %q is not a plain word (letters, digits, '_', '.', '-')", name))
		case name == string(artifact.Base) || name == string(artifact.Head):
			invalid(rng, fmt.Errorf("a variant cannot be called %q, the name of the side it is measured beside", name))
		case strings.TrimSpace(m[name]) == "":
			invalid(rng, fmt.Errorf("the patch of the variant %s is empty; give the diff, such as file(\"patches/%s.diff\")", name, name))
		}
		out = append(out, Variant{Name: name, Patch: m[name]})
	}
	return out
}

// planVariants adds, for each variant, its measurement unit, and returns the action that
// gathers them with the base/head measurement into the benchmark's record.
func planVariants(t *engine.Target, main *engine.Action, m *measure) *engine.Action {
	g := &gather{main: main}
	deps := []*engine.Action{main}
	for i := range m.cfg.Variants {
		v := &m.cfg.Variants[i]
		unit := *m
		unit.variant = v
		a := &engine.Action{
			ID:       main.ID + " variant " + v.Name,
			Mnemonic: "measure",
			Produces: []string{artifact.MeasurementOutput},
			Label:    t.Label,
			Deps:     main.Deps,
			Prepare:  unit.prepare,
		}
		g.units = append(g.units, gatherUnit{variant: v, action: a})
		deps = append(deps, a)
	}
	return &engine.Action{
		ID:               "variants " + t.Label.String(),
		Mnemonic:         "variants",
		Produces:         []string{artifact.MeasurementOutput},
		Label:            t.Label,
		Deps:             deps,
		Prepare:          g.prepare,
		AcceptFailedDeps: true, // a variant that failed is recorded with its class, never dropped
	}
}

// variantPlan is what Prepare decided about the variant of a unit.
type variantPlan struct {
	v      *Variant
	files  []string
	method string
}

// prepareVariant adds the variant to a unit's key and sides. It returns the unit's result
// when the patch cannot be measured with this environment (patch_needs_build), decided
// before anything runs.
func (m *measure) prepareVariant(pr *prepared) ([]engine.Line, *engine.Result) {
	v := m.variant
	side := v.Side()
	vp := &variantPlan{v: v, files: patchFiles(v.Patch)}
	pr.variant = vp
	pr.sides = append(pr.sides, side)
	if pr.commands != nil {
		pr.commands[side] = pr.commands[artifact.Base]
	}
	if pr.servers != nil {
		// A serving benchmark's server runs in the variant's (patched) tree, as at base.
		pr.servers[side] = pr.servers[artifact.Base]
	}
	env := pr.envs[artifact.Base]
	switch {
	case env == nil && pr.commands != nil:
		vp.method = "tree"
	case env == nil:
		vp.method = "none"
	case len(env.PythonPath) > 0:
		vp.method = "pythonpath"
	default:
		vp.method = "overlay"
	}
	if env != nil {
		pr.envs[side] = env
	}
	lines := []engine.Line{
		engine.L("variant", v.Name),
		engine.L("variant.patch", v.Digest()),
		engine.L("variant.method", vp.method),
	}
	if vp.method == "overlay" {
		if compiled := compiledFiles(vp.files); len(compiled) > 0 {
			return lines, engine.Failed(ClassPatchNeedsBuild,
				"The patch of variant %s touches compiled code or build files (%s), but the environment holds an installed build of the base commit, over which only Python files can be laid, "+
					"and isobench does not build an environment from a patched tree yet.", v.Name, strings.Join(compiled, ", "))
		}
	}
	return lines, nil
}

// variantResult fills the variant's comparisons: with base (the verdict) and with head (the
// verdict against the human's commit), from the runs of this unit.
func (r *runner) variantResult(overBase stats.Comparison) {
	cfg := r.m.cfg
	vr := r.rec.Variant
	side := r.pr.variant.v.Side()
	higher := cfg.DirectionOf(r.rec.Metric) == Higher
	head, variant := r.runsOf(r.rec.Metric, artifact.Head, side)
	ob := statsOf(overBase, cfg.Verdict)
	oh := statsOf(stats.CompareRuns(head, variant, higher, cfg.Verdict), cfg.Verdict)
	vr.OverBase, vr.OverHead = &ob, &oh
	vr.Median = ob.HeadMedian
	vr.Verdict = ob.Verdict
	vr.AgainstHuman = againstHuman(oh.Verdict)
	fmt.Fprintf(r.x.Log, "variant %s: %s over base; against head: %s. %s\n", vr.Name, vr.Verdict, vr.AgainstHuman, oh.Reason)
}

func againstHuman(verdict string) string {
	switch verdict {
	case stats.Improved:
		return artifact.BetterThanHuman
	case stats.Regressed:
		return artifact.WorseThanHuman
	case stats.Unchanged:
		return artifact.MatchesHuman
	}
	return artifact.NoisyVsHuman
}

// gather is the "variants" action of a benchmark with variants: the base/head measurement's
// record with every variant's result added. It runs nothing; its key is the keys and
// statuses of what it gathers.
type gather struct {
	main  *engine.Action
	units []gatherUnit
}

type gatherUnit struct {
	variant *Variant
	action  *engine.Action
}

func (g *gather) prepare(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
	main := in.Result(g.main)
	lines := []engine.Line{engine.L("measure", outcomeLine(main))}
	for _, u := range g.units {
		lines = append(lines, engine.L("variant."+u.variant.Name, outcomeLine(in.Result(u.action))))
	}
	w := &engine.Work{RuleVersion: ruleVersion, Lines: lines, Recordable: true} // its inputs' outcomes alone
	w.Run = func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
		rec := &artifact.Measurement{}
		if err := recordOf(in, g.main, rec); err != nil {
			return nil, err
		}
		rec.Variants = []artifact.Variant{}
		for _, u := range g.units {
			o := in.Result(u.action)
			ur := &artifact.Measurement{}
			if err := recordOf(in, u.action, ur); err != nil {
				return nil, err
			}
			v := artifact.Variant{Name: u.variant.Name, PatchSHA256: u.variant.Digest(), Files: patchFiles(u.variant.Patch), Values: []float64{}}
			if ur.Variant != nil {
				v = *ur.Variant
			}
			if o == nil || o.Status != engine.StatusOK {
				// The unit's record has both when it failed of itself (prepare.go, run.go).
				if v.FailureClass == "" {
					v.FailureClass = outcomeClass(o)
				}
				if v.Message == "" {
					v.Message = outcomeMessage(o)
				}
			}
			rec.Variants = append(rec.Variants, v)
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		switch {
		case main != nil && main.Status == engine.StatusOK:
			return engine.OK(map[string][]byte{artifact.MeasurementOutput: data}, rec), nil
		case main != nil && main.Status == engine.StatusSkipped:
			res := engine.Skipped("%s", main.Message)
			res.Meta = rec
			return res, nil
		case main != nil && main.Status == engine.StatusFailed:
			// The record, failed, with its variants; the build counts the one failure once,
			// at the measurement.
			res := engine.Failed(main.Class, "%s", main.Message)
			res.Meta, res.BlockedBy = rec, g.main.ID
			return res, nil
		}
		res := engine.Transient("blocked", "The base/head measurement did not finish: %s", outcomeMessage(main))
		res.BlockedBy = g.main.ID
		return res, nil
	}
	return w, nil
}

// recordOf reads a measurement record into rec: the output of one that succeeded, the Meta of
// one that failed. rec stays as it was when neither holds one.
func recordOf(in *engine.Inputs, a *engine.Action, rec *artifact.Measurement) error {
	o := in.Result(a)
	if o == nil {
		return nil
	}
	if o.Status == engine.StatusOK {
		if err := in.DecodeOutput(a, artifact.MeasurementOutput, rec); err != nil {
			return fmt.Errorf("cannot read the measurement of %s: %w", a.ID, err)
		}
		return nil
	}
	if len(o.Meta) > 0 {
		json.Unmarshal(o.Meta, rec) // Meta of another shape: the record knows less
	}
	return nil
}

// outcomeLine names what a gathered outcome holds: its output and meta, not only its key, so
// that a measurement run again under the same key (--rerun) is gathered again.
func outcomeLine(o *engine.Outcome) string {
	if o == nil {
		return "none"
	}
	meta := sha256.Sum256(o.Meta)
	return fmt.Sprintf("%s %s %s output=%s meta=%s", o.Status, o.Key, o.Class,
		o.Outputs[artifact.MeasurementOutput], hex.EncodeToString(meta[:8]))
}

func outcomeClass(o *engine.Outcome) string {
	if o == nil || o.Status == engine.StatusBlocked {
		return "blocked"
	}
	if o.Class == "" {
		return string(o.Status)
	}
	return o.Class
}

func outcomeMessage(o *engine.Outcome) string {
	if o == nil {
		return "it did not run"
	}
	return o.Message
}
