package benchmark

import (
	"context"
	"encoding/json"
	"fmt"
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
	// first is the first value read: it names the metric and unit of the record.
	first *Reading
}

func newRunner(m *measure, pr *prepared, x *engine.Exec) *runner {
	return &runner{m: m, pr: pr, x: x, rec: pr.record(m)}
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
	if err != nil {
		// A commit that cannot be checked out is the commit rule's kind of failure, with its
		// class; anything else (a full disk, a missing interpreter) may pass.
		if class := gitrepo.ClassOf(err); class != "" && !gitrepo.IsTransient(err) {
			return r.failed(engine.Failed(class, "%s", err)), nil
		}
		return nil, err
	}
	defer sides.release()

	order := Schedule(cfg.Warmup, cfg.Samples)
	fmt.Fprintf(r.x.Log, "measuring %s: %d samples and %d warmup runs per side, interleaved, timeout %s per run\n",
		r.m.label, cfg.Samples, cfg.Warmup, cfg.Timeout)
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
	}
	return r.finish()
}

// sample runs one process and reads its value. It returns a failure result when the run
// failed.
func (r *runner) sample(ctx context.Context, side *sideSetup, rn Run) (artifact.Sample, *engine.Result) {
	cfg := r.m.cfg
	sample := artifact.Sample{Side: rn.Side, Index: rn.Index, Warmup: rn.Warmup}
	sample.Before, sample.OthersBefore = r.readGPUs()
	res, err := side.exec(ctx, r.x, rn, cfg.Timeout)
	sample.After, sample.OthersAfter = r.readGPUs()
	sample.Throttled = throttled(sample)
	if err != nil {
		return sample, engine.Transient("error", "The test could not be started: %s", err)
	}
	sample.Seconds = res.Duration.Seconds()
	sample.ExitCode = res.ExitCode
	what := fmt.Sprintf("the %s run %d (%s)", rn.Side, rn.Index+1, runKind(rn))
	switch {
	case res.Canceled:
		return sample, engine.Transient("cancelled", "The measurement was cancelled during %s.", what)
	case res.TimedOut:
		r.logTail(what, res)
		return sample, engine.Failed(ClassTimeout, "%s did not finish within %s; its process group was killed.", capitalize(what), cfg.Timeout)
	case res.ExitCode == -1:
		// Killed by a signal nobody here sent: most often the kernel's OOM killer, which says
		// more about what else ran on the machine than about the test. Not cached.
		r.logTail(what, res)
		return sample, engine.Transient("killed", "%s was killed by a signal (out of memory?).", capitalize(what))
	case res.ExitCode != 0:
		r.logTail(what, res)
		class := ClassHeadFailed
		if rn.Side == artifact.Base {
			class = ClassBaseFailed
		}
		return sample, engine.Failed(class, "%s exited with status %d: %s", capitalize(what), res.ExitCode, lastLine(res))
	}
	reading, err := cfg.Metric.Parse(res.Stdout, res.Stderr)
	if err != nil {
		r.logTail(what, res)
		return sample, engine.Failed(ClassNoMetric, "%s printed no metric the benchmark could read (%s); %s",
			capitalize(what), err, metricHint(cfg))
	}
	if r.first == nil {
		// The first value read names the metric and its unit; every other run must agree.
		r.first = &reading
		r.rec.Metric, r.rec.Unit = reading.Metric, reading.Unit
	}
	if reading.Metric != r.first.Metric || reading.Unit != r.first.Unit {
		r.logTail(what, res)
		return sample, engine.Failed(ClassMetricMismatch, "%s reported %s in %q, but earlier runs reported %s in %q.",
			capitalize(what), reading.Metric, reading.Unit, r.rec.Metric, r.rec.Unit)
	}
	v := reading.Value
	sample.Value = &v
	if rn.Index == 0 || rn.Index == cfg.Warmup {
		// The first run and the first sample of each side show in the log what the test
		// prints; the others would repeat it.
		r.logOutput(what, res)
	}
	return sample, nil
}

// readGPUs reads every GPU held: the first is the sample's main reading, the rest go beside it.
func (r *runner) readGPUs() (*artifact.GPUState, []artifact.GPUState) {
	var first *artifact.GPUState
	var others []artifact.GPUState
	for i, idx := range r.x.GPUs {
		st, err := probe().Read(idx)
		if err != nil {
			continue
		}
		if i == 0 {
			first = st
		} else {
			others = append(others, *st)
		}
	}
	return first, others
}

func throttled(s artifact.Sample) bool {
	if hardware.Slowdown(s.Before) || hardware.Slowdown(s.After) {
		return true
	}
	for i := range s.OthersBefore {
		if hardware.Slowdown(&s.OthersBefore[i]) {
			return true
		}
	}
	for i := range s.OthersAfter {
		if hardware.Slowdown(&s.OthersAfter[i]) {
			return true
		}
	}
	return false
}

// failed turns a run's failure into the result, with the record so far as its Meta: the
// dataset describes failures from it.
func (r *runner) failed(res *engine.Result) *engine.Result {
	if !res.Transient {
		r.rec.FailureClass = res.Class
	}
	r.fillValues()
	res.Meta = r.rec
	return res
}

// finish compares the sides and stores the record.
func (r *runner) finish() (*engine.Result, error) {
	cfg := r.m.cfg
	r.fillValues()
	c := stats.Compare(r.rec.BaseValues, r.rec.HeadValues, cfg.Direction == Higher, cfg.Verdict)
	r.rec.Stats = artifact.Stats{
		BaseMedian: num(c.BaseMedian), HeadMedian: num(c.HeadMedian),
		BaseMAD: num(c.BaseMAD), HeadMAD: num(c.HeadMAD),
		Speedup: num(c.Speedup), CILow: num(c.CILow), CIHigh: num(c.CIHigh),
		PValue: num(c.P), U: num(c.U),
		Verdict: c.Verdict, Reason: c.Reason,
		Confidence: cfg.Verdict.Confidence, MaxPValue: cfg.Verdict.MaxP, MinEffect: cfg.Verdict.MinEffect,
	}
	fmt.Fprintf(r.x.Log, "verdict: %s. %s\n", c.Verdict, c.Reason)
	if r.rec.ThrottledSamples > 0 {
		fmt.Fprintf(r.x.Log, "warning: %d samples ran while a GPU reported a hardware slowdown.\n", r.rec.ThrottledSamples)
	}
	data, err := json.Marshal(r.rec)
	if err != nil {
		return nil, err
	}
	res := engine.OK(map[string][]byte{artifact.MeasurementOutput: data}, r.rec)
	res.Counters = map[string]int64{"samples": int64(len(r.rec.Samples))}
	return res, nil
}

// fillValues collects the measured (non-warmup) values of each side, in run order.
func (r *runner) fillValues() {
	r.rec.BaseValues, r.rec.HeadValues = []float64{}, []float64{}
	r.rec.ThrottledSamples = 0
	for _, s := range r.rec.Samples {
		if s.Warmup || s.Value == nil {
			continue
		}
		if s.Throttled {
			r.rec.ThrottledSamples++
		}
		if s.Side == artifact.Base {
			r.rec.BaseValues = append(r.rec.BaseValues, *s.Value)
		} else {
			r.rec.HeadValues = append(r.rec.HeadValues, *s.Value)
		}
	}
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
		v = fmt.Sprintf("%g %s", *s.Value, unit)
	}
	flag := ""
	if s.Throttled {
		flag = " [hardware slowdown]"
	}
	return fmt.Sprintf("%s %s %d: %s in %s%s", s.Side, runKind(Run{Warmup: s.Warmup}), s.Index+1, v,
		time.Duration(s.Seconds*float64(time.Second)).Round(time.Millisecond), flag)
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
