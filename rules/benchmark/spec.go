package benchmark

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

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

// Test kinds.
const (
	testGenerated = "generated"
	testScript    = "script"
	testCommand   = "command"
)

// spec is a benchmark target's settings, decoded and checked.
type spec struct {
	test       string // generated, script or command
	script     string // inline source for script tests
	samples    int
	warmup     int
	timeout    time.Duration
	metric     MetricSpec
	regex      string
	direction  string
	requires   hardware.Requirements
	thresholds stats.Thresholds
}

// decode reads the target's attributes. It is used by Check (errors become diagnostics) and
// by Prepare (where the loader has already reported them).
func decode(t *engine.Target) (*spec, error) {
	s := &spec{
		samples:    t.Int("samples", DefaultSamples),
		warmup:     t.Int("warmup", DefaultWarmup),
		timeout:    t.Duration("timeout", DefaultTimeout),
		direction:  t.String("direction"),
		regex:      t.String("metric_regex"),
		thresholds: stats.DefaultThresholds,
	}
	switch {
	case t.Has("generator"):
		s.test = testGenerated
	case t.Has("script"):
		s.test, s.script = testScript, t.String("script")
	case t.Has("command"):
		s.test = testCommand
	}
	if s.direction == "" {
		s.direction = "lower"
	}
	s.metric = MetricSpec{Name: t.String("metric"), Unit: t.String("unit")}
	if s.regex != "" {
		re, err := regexp.Compile(s.regex)
		if err != nil {
			return nil, fmt.Errorf("metric_regex is not a valid regular expression: %v", err)
		}
		s.metric.Regex = re
	}
	if r := t.Block("requires"); r != nil {
		s.requires = hardware.Requirements{
			GPUs:              r.Int("gpus", 0),
			ComputeCapability: r.String("compute_capability"),
			MemoryGB:          r.Float("memory_gb", 0),
			FP8:               r.Bool("fp8", false),
		}
	}
	s.requires = s.requires.Normalize()
	if v := t.Block("verdict"); v != nil {
		s.thresholds.Confidence = v.Float("confidence", s.thresholds.Confidence)
		s.thresholds.MaxP = v.Float("max_p_value", s.thresholds.MaxP)
		s.thresholds.MinEffect = v.Float("min_effect", s.thresholds.MinEffect)
	}
	switch {
	case s.samples < 1 || s.samples > maxSamples:
		return nil, fmt.Errorf("samples must be between 1 and %d, not %d", maxSamples, s.samples)
	case s.warmup < 0 || s.warmup > maxSamples:
		return nil, fmt.Errorf("warmup must be between 0 and %d, not %d", maxSamples, s.warmup)
	case t.Has("timeout") && s.timeout <= 0:
		return nil, fmt.Errorf("timeout must be positive, not %s", s.timeout)
	}
	if err := s.requires.Validate(); err != nil {
		return nil, err
	}
	if err := s.thresholds.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// lines are the settings as key lines. The test itself, the environments, the commits and
// the hardware are added by Prepare.
func (s *spec) lines() []engine.Line {
	lines := []engine.Line{
		engine.L("test", s.test),
		engine.L("samples", s.samples),
		engine.L("warmup", s.warmup),
		engine.L("timeout", s.timeout),
		engine.L("metric", s.metric.Name),
		engine.L("metric_regex", s.regex),
		engine.L("unit", s.metric.Unit),
		engine.L("direction", s.direction),
	}
	lines = append(lines, s.requires.Lines()...)
	return append(lines,
		engine.L("verdict.confidence", strconv.FormatFloat(s.thresholds.Confidence, 'g', -1, 64)),
		engine.L("verdict.max_p_value", strconv.FormatFloat(s.thresholds.MaxP, 'g', -1, 64)),
		engine.L("verdict.min_effect", strconv.FormatFloat(s.thresholds.MinEffect, 'g', -1, 64)),
	)
}
