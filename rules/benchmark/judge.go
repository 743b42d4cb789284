package benchmark

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/benchmark/stats"
)

// looker judges the runs taken so far, for adaptive sampling, with stats.Sequential's
// stopping rule; with fixed sampling it judges once, after the last run.
type looker struct {
	r     *runner
	seq   stats.Sequential
	looks int
	last  *stats.Comparison
	done  bool // adaptive sampling stopped: the last look is made
}

func newLooker(r *runner) *looker {
	return &looker{r: r, seq: stats.Sequential{Min: r.m.cfg.MinSamples, Max: r.m.cfg.Samples}}
}

// look judges the primary metric's runs; it reports whether sampling may stop.
func (l *looker) look() bool {
	cfg := l.r.m.cfg
	l.r.fillValues()
	// A variant's unit stops when the variant's comparison with base is settled: that is
	// the verdict it is run for.
	base, head := l.r.runsOf(l.r.rec.Metric, artifact.Base, l.r.judged())
	c, stop := l.seq.Look(base, head, cfg.DirectionOf(l.r.rec.Metric) == Higher, cfg.Verdict)
	if min(len(base), len(head)) >= l.seq.Min {
		l.looks++
	}
	l.last = &c
	return stop
}

// stop is look during sampling: a stop there ends the measurement early.
func (l *looker) stop() bool {
	if l.look() {
		l.done = true
		fmt.Fprintf(l.r.x.Log, "look %d: %s after %d runs a side; sampling stops.\n", l.looks, l.last.Verdict, len(l.r.rec.BaseValues))
		return true
	}
	if l.looks > 0 {
		fmt.Fprintf(l.r.x.Log, "look %d: %s after %d runs a side; sampling goes on.\n", l.looks, l.last.Verdict, len(l.r.rec.BaseValues))
	}
	return false
}

// runs are a metric's values of the measured runs that count, grouped by run, at base and
// head.
func (r *runner) runs(metric string) (base, head [][]float64) {
	return r.runsOf(metric, artifact.Base, artifact.Head)
}

// runsOf is runs for two sides a and b.
func (r *runner) runsOf(metric string, a, b artifact.Side) (ra, rb [][]float64) {
	ra, rb = [][]float64{}, [][]float64{}
	for _, s := range r.rec.Samples {
		vals := s.Values[metric]
		if s.Warmup || s.Excluded || len(vals) == 0 {
			continue
		}
		switch s.Side {
		case a:
			ra = append(ra, vals)
		case b:
			rb = append(rb, vals)
		}
	}
	return ra, rb
}

// judged is the side compared with base to decide when sampling stops: head, or a unit's
// variant.
func (r *runner) judged() artifact.Side {
	if r.pr.variant != nil {
		return r.pr.variant.v.Side()
	}
	return artifact.Head
}

// finish compares the sides, every metric, and stores the record.
func (r *runner) finish(l *looker) (*engine.Result, error) {
	cfg := r.m.cfg
	if !l.done {
		l.look() // fixed sampling's only look, or the last after runs were left out
	}
	r.rec.Sampling = r.sampling(l)
	primary := *l.last
	primary.Reason += r.flagSentence()
	if r.pr.variant != nil {
		r.variantResult(primary)
		// The unit's own base/head comparison, from the same rounds.
		base, head := r.runs(r.rec.Metric)
		primary = stats.CompareRuns(base, head, cfg.DirectionOf(r.rec.Metric) == Higher, cfg.Verdict)
	}
	r.rec.Stats = statsOf(primary, cfg.Verdict)
	for _, name := range r.order {
		base, head := r.runs(name)
		m := artifact.MetricResult{Name: name, Unit: r.units[name], Direction: string(cfg.DirectionOf(name)),
			Primary: name == r.rec.Metric, BaseRuns: base, HeadRuns: head}
		if m.Primary {
			m.Stats = r.rec.Stats
		} else {
			m.Stats = statsOf(stats.CompareRuns(base, head, cfg.DirectionOf(name) == Higher, cfg.Verdict), cfg.Verdict)
		}
		r.rec.Metrics = append(r.rec.Metrics, m)
	}
	// The primary metric first: it is the one readers look for.
	slices.SortStableFunc(r.rec.Metrics, func(a, b artifact.MetricResult) int {
		if a.Primary == b.Primary {
			return 0
		}
		if a.Primary {
			return -1
		}
		return 1
	})
	fmt.Fprintf(r.x.Log, "verdict: %s. %s\n", r.rec.Stats.Verdict, r.rec.Stats.Reason)
	for _, m := range r.rec.Metrics[1:] {
		fmt.Fprintf(r.x.Log, "metric %s: %s. %s\n", m.Name, m.Stats.Verdict, m.Stats.Reason)
	}
	data, err := json.Marshal(r.rec)
	if err != nil {
		return nil, err
	}
	res := engine.OK(r.withLogs(map[string][]byte{artifact.MeasurementOutput: data}), r.rec)
	res.Counters = map[string]int64{"samples": int64(len(r.rec.Samples))}
	return res, nil
}

// sampling says how many runs each side took and why sampling stopped; l is nil when a run
// failed.
func (r *runner) sampling(l *looker) *artifact.Sampling {
	cfg := r.m.cfg
	s := &artifact.Sampling{Mode: "fixed", Min: cfg.MinSamples, Max: cfg.Samples, Warmup: cfg.Warmup, Stopped: stats.StopFixed}
	for _, x := range r.rec.Samples {
		switch {
		case x.Warmup:
		case x.Side == artifact.Base:
			s.BaseRuns++
		case x.Side == artifact.Head:
			s.HeadRuns++
		}
	}
	if cfg.Adaptive {
		s.Mode, s.Stopped = "adaptive", stats.StopMax
		if l != nil && l.done && l.last.Verdict != stats.Noisy { // on a verdict, not noisy at max runs
			s.Stopped = stats.StopSettled
		}
	}
	if l != nil {
		s.Looks = l.looks
	}
	return s
}

// flagSentence tells the verdict's reader about flagged runs and a loaded machine.
func (r *runner) flagSentence() string {
	if r.rec.FlaggedSamples == 0 {
		return ""
	}
	counts := map[string]int{}
	measured := 0
	for _, s := range r.rec.Samples {
		if s.Warmup {
			continue
		}
		measured++
		for _, f := range s.Flags {
			counts[f]++
		}
	}
	var why []string
	for _, f := range []string{artifact.FlagLowClock, artifact.FlagHWSlowdown, artifact.FlagCPULoaded} {
		if counts[f] > 0 {
			why = append(why, fmt.Sprintf("%d %s", counts[f], strings.ReplaceAll(f, "_", " ")))
		}
	}
	what := "kept in the verdict"
	if r.m.cfg.Flagged == ExcludeFlagged {
		what = "left out of the verdict"
	}
	s := fmt.Sprintf(" %d of %d runs were flagged (%s) and %s.", r.rec.FlaggedSamples, measured, strings.Join(why, ", "), what)
	if counts[artifact.FlagCPULoaded] > 0 {
		s += " The machine was loaded: other work competed for the CPU."
	}
	return s
}

func statsOf(c stats.Comparison, t stats.Thresholds) artifact.Stats {
	return artifact.Stats{
		BaseMedian: num(c.BaseMedian), HeadMedian: num(c.HeadMedian),
		BaseMAD: num(c.BaseMAD), HeadMAD: num(c.HeadMAD),
		Speedup: num(c.Speedup), CILow: num(c.CILow), CIHigh: num(c.CIHigh),
		PValue: num(c.P), Test: c.Test, U: num(c.U),
		Verdict: c.Verdict, Reason: c.Reason,
		Confidence: t.Confidence, MaxPValue: t.MaxP, MinEffect: t.MinEffect,
	}
}

// fillValues collects the primary metric's value of each measured run that counts (warmups
// and excluded runs aside), per side in run order, and counts the flagged ones.
func (r *runner) fillValues() {
	r.rec.BaseValues, r.rec.HeadValues = []float64{}, []float64{}
	if r.rec.Variant != nil {
		r.rec.Variant.Values = []float64{}
	}
	r.rec.ThrottledSamples, r.rec.FlaggedSamples, r.rec.LoadedSamples = 0, 0, 0
	r.rec.FlaggedPolicy = string(r.m.cfg.Flagged)
	for i := range r.rec.Samples {
		s := &r.rec.Samples[i]
		if s.Warmup || s.Value == nil {
			continue
		}
		if s.Throttled {
			r.rec.ThrottledSamples++
		}
		if slices.Contains(s.Flags, artifact.FlagCPULoaded) {
			r.rec.LoadedSamples++
		}
		if len(s.Flags) > 0 {
			r.rec.FlaggedSamples++
			s.Excluded = r.m.cfg.Flagged == ExcludeFlagged
		}
		if s.Excluded {
			continue
		}
		switch s.Side {
		case artifact.Base:
			r.rec.BaseValues = append(r.rec.BaseValues, *s.Value)
		case artifact.Head:
			r.rec.HeadValues = append(r.rec.HeadValues, *s.Value)
		default:
			r.rec.Variant.Values = append(r.rec.Variant.Values, *s.Value)
		}
	}
}
