package benchmark

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/benchmark/hardware"
	"github.com/isobench/isobench/rules/benchmark/stats"
	"github.com/isobench/isobench/rules/gitrepo"
)

// Failure classes of a measurement. Each is a deterministic result and cached: running the
// same test on the same commits and hardware again would end the same way (--retry-failed
// runs them again).
const (
	ClassBaseFailed     = "base_failed"     // the test exited non-zero at base
	ClassHeadFailed     = "head_failed"     // ... at head
	ClassTimeout        = "timeout"         // a run exceeded the timeout; its group was killed
	ClassNoMetric       = "no_metric"       // a run printed no value that could be read
	ClassMetricMismatch = "metric_mismatch" // the runs reported different metrics or units
	ClassSkipped        = "skipped"         // the machine cannot meet the requirements
)

// runner executes one measurement: the schedule of runs, and the record of each.
type runner struct {
	m   *measure
	pr  *prepared
	x   *engine.Exec
	rec *artifact.Measurement
	// units are the unit of every metric seen, and order the metrics in the order first seen;
	// every later run must report a metric in the unit it was first reported in.
	units map[string]string
	order []string
	// logs are the server logs of the sessions so far, by output name (serving.go).
	logs map[string][]byte
}

func newRunner(m *measure, pr *prepared, x *engine.Exec) *runner {
	return &runner{m: m, pr: pr, x: x, rec: pr.record(m), units: map[string]string{}}
}

// run takes every sample, then compares the sides. The first run that fails ends the
// measurement: a test that fails once will not yield a trustworthy comparison, and each
// further run would hold the GPU for nothing.
func (r *runner) run(ctx context.Context) (*engine.Result, error) {
	cfg := r.m.cfg
	if len(r.x.GPUs) < cfg.Requires.GPUs {
		return engine.Transient("gpus_unavailable",
			"%s needs %d GPU%s, but this build may use only %d; let it use more (see --gpus).",
			r.m.label, cfg.Requires.GPUs, plural(cfg.Requires.GPUs), len(r.x.GPUs)), nil
	}
	r.rec.Hardware = r.pr.info.Artifact(r.x.GPUs)
	sides, err := r.setup(ctx)
	var f *failure
	if errors.As(err, &f) {
		return r.failed(f.res), nil
	}
	if err != nil {
		// A commit that cannot be checked out is the commit rule's kind of failure, with its
		// class; anything else (a full disk, a missing interpreter) may pass.
		if class := gitrepo.ClassOf(err); class != "" && !gitrepo.IsTransient(err) {
			return r.failed(engine.Failed(class, "%s", err)), nil
		}
		return nil, err
	}
	defer sides.release()
	if cfg.Preload != nil {
		if res := r.preload(ctx, sides); res != nil {
			return r.failed(res), nil
		}
	}

	order := ScheduleSides(r.pr.sides, cfg.Warmup, cfg.Samples)
	if cfg.Adaptive {
		fmt.Fprintf(r.x.Log, "measuring %s: adaptive sampling, %d to %d samples and %d warmup runs per side, interleaved, timeout %s per run\n",
			r.m.label, cfg.MinSamples, cfg.Samples, cfg.Warmup, cfg.Timeout)
	} else {
		fmt.Fprintf(r.x.Log, "measuring %s: %d samples and %d warmup runs per side, interleaved, timeout %s per run\n",
			r.m.label, cfg.Samples, cfg.Warmup, cfg.Timeout)
	}
	if vp := r.pr.variant; vp != nil {
		fmt.Fprintf(r.x.Log, "variant %s: the base commit with its patch (%d file%s), its code reached by %s, measured in rotation with base and head\n",
			vp.v.Name, len(vp.files), plural(len(vp.files)), vp.method)
	}
	look := newLooker(r)
	for i, rn := range order {
		if err := ctx.Err(); err != nil {
			return engine.Transient("cancelled", "The measurement was cancelled."), nil
		}
		sample, res := r.sample(ctx, sides.of(rn.Side), rn)
		r.rec.Samples = append(r.rec.Samples, sample)
		if res != nil {
			return r.failed(res), nil
		}
		fmt.Fprintf(r.x.Log, "[%d/%d] %s\n", i+1, len(order), describe(sample, r.rec.Unit))
		// A round is one run a side; adaptive sampling judges after each.
		if cfg.Adaptive && !rn.Warmup && (i+1)%len(r.pr.sides) == 0 && look.stop() {
			break
		}
	}
	return r.finish(look)
}

// sample runs one process and reads its value. It returns a failure result when the run
// failed.
func (r *runner) sample(ctx context.Context, side *sideSetup, rn Run) (artifact.Sample, *engine.Result) {
	cfg := r.m.cfg
	sample := artifact.Sample{Side: rn.Side, Index: rn.Index, Warmup: rn.Warmup}
	watch := probe().Watch(r.x.GPUs, hardware.WatchInterval)
	if cfg.Serving != nil {
		// A server session (serving.go): the server's start is part of the run.
		res := r.session(ctx, side, rn, &sample)
		flagRun(&sample, watch.Stop())
		return sample, res
	}
	res, err := side.exec(ctx, r.x, rn, cfg.Timeout)
	flagRun(&sample, watch.Stop())
	var lost *errPreloadLost
	switch {
	case errors.As(err, &lost) && res != nil && (res.TimedOut || res.Canceled):
		// Killed as asked, with the preloading process that would not confirm it.
	case errors.As(err, &lost):
		return sample, r.lostRun(lost, rn, res)
	case err != nil:
		return sample, engine.Transient("error", "The test could not be started: %s", err)
	}
	return sample, r.read(&sample, rn, res)
}

// flagRun records what the watch saw during a run, and the flags it earns.
func flagRun(sample *artifact.Sample, seen hardware.Watched) {
	sample.GPUs, sample.CPU = seen.GPUs, seen.CPU
	if len(seen.First) > 0 {
		sample.Before, sample.After = &seen.First[0], &seen.Last[0]
		sample.OthersBefore, sample.OthersAfter = seen.First[1:], seen.Last[1:]
	}
	sample.Throttled = seen.Throttled()
	if sample.Throttled {
		sample.Flags = append(sample.Flags, artifact.FlagHWSlowdown)
	}
	if seen.LowClock() {
		sample.Flags = append(sample.Flags, artifact.FlagLowClock)
	}
	if hardware.CPULoaded(seen.CPU) {
		sample.Flags = append(sample.Flags, artifact.FlagCPULoaded)
	}
}

// read judges how a run's process ended and reads its values into the sample; it returns a
// failure result when the run failed.
func (r *runner) read(sample *artifact.Sample, rn Run, res *engine.ProcessResult) *engine.Result {
	cfg := r.m.cfg
	sample.Seconds = res.Duration.Seconds()
	sample.ExitCode = res.ExitCode
	what := fmt.Sprintf("the %s run %d (%s)", rn.Side, rn.Index+1, runKind(rn))
	switch {
	case res.Canceled:
		return engine.Transient("cancelled", "The measurement was cancelled during %s.", what)
	case res.TimedOut:
		r.logTail(what, res)
		return engine.Failed(ClassTimeout, "%s did not finish within %s; its process group was killed.", capitalize(what), cfg.Timeout)
	case res.ExitCode == -1:
		// Killed by a signal nobody here sent: most often the kernel's OOM killer, which says
		// more about what else ran on the machine than about the test. Not cached.
		r.logTail(what, res)
		return engine.Transient("killed", "%s was killed by a signal (out of memory?).", capitalize(what))
	case res.ExitCode != 0:
		r.logTail(what, res)
		return engine.Failed(failedClass(rn.Side), "%s exited with status %d: %s", capitalize(what), res.ExitCode, lastLine(res))
	}
	readings, err := cfg.Metric.Parse(res.Stdout, res.Stderr)
	if u, ok := err.(errUnits); ok {
		r.logTail(what, res)
		return engine.Failed(ClassMetricMismatch, "%s reported %s.", capitalize(what), u)
	}
	if err != nil {
		r.logTail(what, res)
		return engine.Failed(ClassNoMetric, "%s printed no metric the benchmark could read (%s); %s",
			capitalize(what), err, metricHint(cfg))
	}
	if res := r.take(sample, rn, readings, what, func() { r.logTail(what, res) }); res != nil {
		return res
	}
	if rn.Index == 0 || rn.Index == cfg.Warmup {
		// The first run and the first sample of each side show in the log what the test
		// prints; the others would repeat it.
		r.logOutput(what, res)
	}
	return nil
}

// take records a run's readings in its sample, checking that the run reported the primary
// metric and every metric in the unit it was first reported in. logFail writes the run's
// output to the log when it fails.
func (r *runner) take(sample *artifact.Sample, rn Run, readings []Reading, what string, logFail func()) *engine.Result {
	cfg := r.m.cfg
	primary, ok := cfg.Metric.primary(readings)
	if !ok {
		logFail()
		return engine.Failed(ClassNoMetric, "%s printed no metric the benchmark could read (it reported no metric %s); %s",
			capitalize(what), cfg.Metric.Name, metricHint(cfg))
	}
	if r.rec.Metric == "" {
		// The first run names the primary metric when the benchmark does not.
		r.rec.Metric = primary.Metric
	}
	if primary.Metric != r.rec.Metric {
		logFail()
		return engine.Failed(ClassMetricMismatch, "%s reported %s first, but earlier runs reported %s first; name the metric that decides with metric = \"...\".",
			capitalize(what), primary.Metric, r.rec.Metric)
	}
	sample.Values = map[string][]float64{}
	for _, rd := range readings {
		if u, seen := r.units[rd.Metric]; seen && u != rd.Unit {
			logFail()
			return engine.Failed(ClassMetricMismatch, "%s reported %s in %q, but earlier runs reported it in %q.",
				capitalize(what), rd.Metric, rd.Unit, u)
		} else if !seen {
			r.units[rd.Metric] = rd.Unit
			r.order = append(r.order, rd.Metric)
		}
		sample.Values[rd.Metric] = rd.Values
	}
	r.rec.Unit = r.units[r.rec.Metric] // as the first run reported it
	v := stats.Median(primary.Values)
	sample.Value = &v
	return nil
}

// failed turns a run's failure into the result, with the record so far as its Meta: the
// dataset describes failures from it.
func (r *runner) failed(res *engine.Result) *engine.Result {
	if !res.Transient {
		r.rec.FailureClass = res.Class
		if r.rec.Variant != nil {
			r.rec.Variant.FailureClass, r.rec.Variant.Message = res.Class, res.Message
		}
	}
	r.fillValues()
	r.rec.Sampling = r.sampling(nil)
	res.Meta = r.rec
	res.Outputs = r.withLogs(res.Outputs)
	return res
}

// num turns NaN and infinities into null: the record is strict JSON.
func num(x float64) *float64 {
	if x != x || x > 1e308 || x < -1e308 {
		return nil
	}
	return &x
}

func describe(s artifact.Sample, unit string) string {
	v := "no value"
	if s.Value != nil {
		// Six significant digits are more than a run's noise leaves meaningful; the record
		// keeps the value whole.
		v = fmt.Sprintf("%.6g %s", *s.Value, unit)
	}
	if s.Value != nil && len(s.Values) > 0 {
		n := 0
		for _, vs := range s.Values {
			n += len(vs)
		}
		if n > 1 {
			v += fmt.Sprintf(" (median; %d values of %d metric%s)", n, len(s.Values), plural(len(s.Values)))
		}
	}
	extra := ""
	for _, g := range s.GPUs {
		extra += fmt.Sprintf("; SM clock %d/%d/%d MHz (min/median/max of %d readings), %.0f W", g.SMClockMinMHz, g.SMClockMedMHz, g.SMClockMaxMHz, g.Readings, g.PowerMedianW)
	}
	if len(s.Flags) > 0 {
		extra += " [" + strings.Join(s.Flags, ", ") + "]"
	}
	return fmt.Sprintf("%s %s %d: %s in %s%s", s.Side, runKind(Run{Warmup: s.Warmup}), s.Index+1, v,
		seconds(s.Seconds), extra)
}

// seconds is a duration given in seconds, rounded for a log line.
func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond)
}

func runKind(rn Run) string {
	if rn.Warmup {
		return "warmup"
	}
	return "sample"
}

func metricHint(cfg *Config) string {
	if cfg.Metric.Regex != nil {
		return fmt.Sprintf("its output has no match of metric_regex %q.", cfg.MetricRegex)
	}
	return `print a last line such as {"metric": "latency", "value": 0.0123, "unit": "s"} or "Execution time: 0.012345s", or set metric_regex.`
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// failedClass is the class of a run that failed on side s: base_failed, head_failed, or
// variant_failed for a variant's side.
func failedClass(s artifact.Side) string {
	switch s {
	case artifact.Base:
		return ClassBaseFailed
	case artifact.Head:
		return ClassHeadFailed
	}
	return ClassVariantFailed
}
