package benchmark

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/benchmark/hardware"
	"github.com/isobench/isobench/rules/benchmark/stats"
)

// Defaults of a benchmark's settings.
const (
	// DefaultSamples per side: enough for an exact Mann-Whitney p-value of 1e-5 when the sides
	// separate cleanly (p < 0.01 needs 5 a side), and enough that `make bench-stats` finds a
	// 10% change nine times in ten on a small shared machine.
	DefaultSamples = 10
	// DefaultWarmup runs per side are discarded: the first process after a build pays for
	// cold file caches, CUDA context creation and kernel autotuning caches on disk.
	DefaultWarmup = 1
	// DefaultTimeout per run. Upstream's generated GPU tests take from seconds to a few
	// minutes (model loading dominates); ten minutes leaves room and still ends a hang.
	DefaultTimeout = 10 * time.Minute
	// maxSamples guards against a typo (samples = 1000 instead of 10) that would hold a GPU
	// for a day.
	maxSamples = 200
)

// TestSource is how a benchmark is given its test: by the one attribute of generator, script
// and command that it sets. It is recorded in the measurement and enters the key.
type TestSource string

const (
	TestGenerated TestSource = "generated" // generator: a test written for the commit (head side)
	TestScript    TestSource = "script"    // script: Python source, run by each side's python
	TestCommand   TestSource = "command"   // command: run by /bin/sh in each commit's files
)

// Direction says which way of the metric is better.
type Direction string

const (
	Lower  Direction = "lower" // times, latencies: the default
	Higher Direction = "higher"
)

// Config is a benchmark target's settings, decoded and checked once, at load time. Everything
// of the kind beyond decode reads them here.
type Config struct {
	Commit engine.Label

	// Test says which of Generator, Script and Command holds the test; the others are unset.
	Test      TestSource
	Generator engine.Label
	Script    string
	// Command may name the commit (${commit.sha}): it is evaluated per side in Prepare.
	Command engine.LateAttr

	// Environment is built per side; when zero, this machine's python3 runs the test.
	Environment engine.Label

	Metric MetricSpec
	// MetricRegex is Metric.Regex as written, for the key and the no_metric hint ("" for none).
	MetricRegex string
	Direction   Direction

	Samples int // measured runs per side
	Warmup  int // discarded runs per side before them
	Timeout time.Duration

	Requires hardware.Requirements // normalized: a GPU property implies one GPU
	Verdict  stats.Thresholds
}

// decode reads a benchmark target's attributes into its Config. It reports a test given more
// than one way or not at all, and the settings out of range that the schema cannot express,
// each at the attribute that is wrong.
func decode(t *engine.Target) (*Config, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	invalid := func(rng hcl.Range, err error) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid benchmark setting",
			Detail: fmt.Sprintf("In the benchmark %s, %s.", t.Label, err), Subject: rng.Ptr()})
	}
	c := &Config{
		Commit:      t.Body.Label("commit"),
		Environment: t.Body.Label("environment"),
		Direction:   Lower,
		MetricRegex: t.String("metric_regex"),
		Samples:     t.Int("samples", DefaultSamples),
		Warmup:      t.Int("warmup", DefaultWarmup),
		Timeout:     t.Duration("timeout", DefaultTimeout),
		Verdict:     stats.DefaultThresholds,
	}

	var given []string
	for _, name := range []string{"generator", "script", "command"} {
		if t.Has(name) {
			given = append(given, name)
		}
	}
	switch {
	case len(given) == 0:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No test to run",
			Detail:  fmt.Sprintf("The benchmark %s needs a test: set one of generator, script or command.", t.Label),
			Subject: t.Range.Ptr()})
	case len(given) > 1:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "More than one test",
			Detail: fmt.Sprintf("The benchmark %s sets both %s and %s; a benchmark runs one test, so keep only one.",
				t.Label, given[0], given[1]),
			Subject: t.AttrRange(given[1]).Ptr()})
	}
	switch {
	case t.Has("generator"):
		c.Test, c.Generator = TestGenerated, t.Body.Label("generator")
	case t.Has("script"):
		c.Test, c.Script = TestScript, t.String("script")
	case t.Has("command"):
		c.Test, c.Command = TestCommand, t.Late("command")
	}

	if d := t.String("direction"); d != "" {
		c.Direction = Direction(d)
	}
	c.Metric = MetricSpec{Name: t.String("metric"), Unit: t.String("unit")}
	if c.MetricRegex != "" {
		re, err := regexp.Compile(c.MetricRegex)
		if err != nil {
			invalid(t.AttrRange("metric_regex"), fmt.Errorf("metric_regex is not a valid regular expression: %v", err))
		}
		c.Metric.Regex = re
	}

	// The schema makes both whole numbers; the range is checked here so that the message
	// names both ends of it.
	if c.Samples < 1 || c.Samples > maxSamples {
		invalid(t.AttrRange("samples"), fmt.Errorf("samples must be between 1 and %d, not %d", maxSamples, c.Samples))
	}
	if c.Warmup < 0 || c.Warmup > maxSamples {
		invalid(t.AttrRange("warmup"), fmt.Errorf("warmup must be between 0 and %d, not %d", maxSamples, c.Warmup))
	}

	if r := t.Block("requires"); r != nil {
		c.Requires = hardware.Requirements{
			GPUs:              r.Int("gpus", 0),
			ComputeCapability: r.String("compute_capability"),
			MemoryGB:          r.Float("memory_gb", 0),
			FP8:               r.Bool("fp8", false),
		}
		// The schema has checked the counts and sizes; what is left to go wrong is the form
		// of the compute capability.
		if err := c.Requires.Validate(); err != nil {
			invalid(r.AttrRange("compute_capability"), err)
		}
	}
	c.Requires = c.Requires.Normalize()

	if v := t.Block("verdict"); v != nil {
		c.Verdict.Confidence = v.Float("confidence", c.Verdict.Confidence)
		c.Verdict.MaxP = v.Float("max_p_value", c.Verdict.MaxP)
		c.Verdict.MinEffect = v.Float("min_effect", c.Verdict.MinEffect)
		if err := c.Verdict.Validate(); err != nil {
			invalid(v.Range, err)
		}
	}
	return c, diags
}

// lines are the settings as key lines. The test itself, the environments, the commits and
// the hardware are added by Prepare.
func (c *Config) lines() []engine.Line {
	lines := []engine.Line{
		engine.L("test", c.Test),
		engine.L("samples", c.Samples),
		engine.L("warmup", c.Warmup),
		engine.L("timeout", c.Timeout),
		engine.L("metric", c.Metric.Name),
		engine.L("metric_regex", c.MetricRegex),
		engine.L("unit", c.Metric.Unit),
		engine.L("direction", c.Direction),
	}
	lines = append(lines, c.Requires.Lines()...)
	return append(lines,
		engine.L("verdict.confidence", strconv.FormatFloat(c.Verdict.Confidence, 'g', -1, 64)),
		engine.L("verdict.max_p_value", strconv.FormatFloat(c.Verdict.MaxP, 'g', -1, 64)),
		engine.L("verdict.min_effect", strconv.FormatFloat(c.Verdict.MinEffect, 'g', -1, 64)),
	)
}
