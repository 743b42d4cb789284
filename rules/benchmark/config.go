package benchmark

import (
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/benchmark/hardware"
	"github.com/isobench/isobench/rules/benchmark/stats"
	"github.com/zclconf/go-cty/cty"
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
	// DefaultMinSamples and DefaultMaxSamples bound adaptive sampling (`samples = "auto"`).
	// Three a side is the fewest with which an interval can show that nothing changed and a
	// test can call a difference (Welch's on log run medians; stats.TestFor), so a clear
	// change or an A/A comparison may stop there. Thirty, three times the fixed default, is
	// where a change of twice the noise is found, and bounds what an undecidable benchmark
	// costs.
	DefaultMinSamples = 3
	DefaultMaxSamples = 30
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

// FlaggedPolicy says whether runs with a flag (a low GPU clock, a hardware slowdown, a loaded
// CPU) count in the verdict.
type FlaggedPolicy string

const (
	KeepFlagged    FlaggedPolicy = "keep"    // the default: counted, and the verdict says how many
	ExcludeFlagged FlaggedPolicy = "exclude" // left out; adaptive sampling then runs more
)

// DirectionOf is the direction of a metric.
func (c *Config) DirectionOf(metric string) Direction {
	if d, ok := c.Directions[metric]; ok {
		return d
	}
	return c.Direction
}

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

	// Metric says how to read values; Metric.Name, when set, names the primary metric (the
	// one whose verdict is the benchmark's), else the first metric the first run reports is.
	Metric MetricSpec
	// MetricRegex is Metric.Regex as written, for the key and the no_metric hint ("" for none).
	MetricRegex string
	// Direction is every metric's direction, unless Directions names the metric.
	Direction  Direction
	Directions map[string]Direction

	// Samples is the number of measured runs per side, or with Adaptive the most;
	// MinSamples the runs per side before the first look (= Samples when fixed).
	Samples    int
	MinSamples int
	Adaptive   bool
	// Flagged says what the verdict does with flagged runs.
	Flagged FlaggedPolicy
	Warmup  int // discarded runs per side before them
	Timeout time.Duration

	Requires hardware.Requirements // normalized: a GPU property implies one GPU
	Verdict  stats.Thresholds

	Isolation Isolation // secrets and allow_network (sandbox.go)

	// Serving is the server each run starts and how its client's results are read
	// (server.go); nil without a server block, result_file or metric_patterns.
	Serving *Serving

	// Variants are candidate patches to the base commit, each measured as a side of its own
	// (variant.go), sorted by name.
	Variants []Variant

	// Preload, when set, makes each side import modules once in a process every run is then
	// forked from (preload.go).
	Preload *Preload
}

// Preload is what a side's preloading process imports before it forks the runs.
type Preload struct {
	Modules       []string // module names, in order; none with ScriptImports
	ScriptImports bool     // the test script's own top-level imports, found with Python's ast
}

// preloadImports is the value of preload that means the script's own top-level imports.
const preloadImports = "imports"

// line is the preload for the key: "imports", or "modules" and the module names in order (an
// import may depend on one before it, so the order is part of what is done; and a module may
// be named imports).
func (p *Preload) line() string {
	if p.ScriptImports {
		return preloadImports
	}
	return "modules " + strings.Join(p.Modules, " ")
}

// String is the preload as the benchmark writes it, for messages.
func (p *Preload) String() string {
	if p.ScriptImports {
		return strconv.Quote(preloadImports)
	}
	q := make([]string, len(p.Modules))
	for i, m := range p.Modules {
		q[i] = strconv.Quote(m)
	}
	return "[" + strings.Join(q, ", ") + "]"
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
		Flagged:     KeepFlagged,
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
	if t.Has("primary_metric") {
		if t.Has("metric") {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Primary metric given twice",
				Detail:  fmt.Sprintf("The benchmark %s sets both metric and primary_metric, which mean the same; keep one.", t.Label),
				Subject: t.AttrRange("primary_metric").Ptr()})
		}
		c.Metric.Name = t.String("primary_metric")
	}
	if ds := t.StringMap("directions"); len(ds) > 0 {
		c.Directions = map[string]Direction{}
		for name, d := range ds {
			if d != string(Lower) && d != string(Higher) {
				invalid(t.AttrRange("directions"), fmt.Errorf("the direction of %s must be \"lower\" or \"higher\", not %q", name, d))
			}
			c.Directions[name] = Direction(d)
		}
	}
	if f := t.String("flagged_runs"); f != "" {
		c.Flagged = FlaggedPolicy(f)
	}
	c.decodeSamples(t, invalid)
	c.Isolation = decodeIsolation(t, invalid)
	c.Serving = decodeServing(t, c, invalid)
	c.Variants = checkVariants(t.StringMap("variants"), t.AttrRange("variants"), invalid)
	c.Preload = decodePreload(t, c, invalid)
	if c.MetricRegex != "" {
		re, err := regexp.Compile(c.MetricRegex)
		if err != nil {
			invalid(t.AttrRange("metric_regex"), fmt.Errorf("metric_regex is not a valid regular expression: %v", err))
		}
		c.Metric.Regex = re
	}

	// The schema makes both whole numbers; the range is checked here so that the message
	// names both ends of it.
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
		engine.L("samples", c.samplesLine()),
		engine.L("warmup", c.Warmup),
		engine.L("timeout", c.Timeout),
		engine.L("metric", c.Metric.Name),
		engine.L("metric_regex", c.MetricRegex),
		engine.L("unit", c.Metric.Unit),
		engine.L("direction", c.Direction),
	}
	for _, name := range slices.Sorted(maps.Keys(c.Directions)) {
		lines = append(lines, engine.L("direction."+name, c.Directions[name]))
	}
	if c.Flagged != KeepFlagged {
		lines = append(lines, engine.L("flagged_runs", c.Flagged))
	}
	if c.Preload != nil {
		// How the runs are started is part of how the measurement is made.
		lines = append(lines, engine.L("preload", c.Preload.line()))
	}
	lines = append(lines, c.Serving.lines()...)
	lines = append(lines, c.Requires.Lines()...)
	return append(lines,
		engine.L("verdict.confidence", strconv.FormatFloat(c.Verdict.Confidence, 'g', -1, 64)),
		engine.L("verdict.max_p_value", strconv.FormatFloat(c.Verdict.MaxP, 'g', -1, 64)),
		engine.L("verdict.min_effect", strconv.FormatFloat(c.Verdict.MinEffect, 'g', -1, 64)),
	)
}

// decodeSamples reads `samples`: a whole number of runs per side (fixed sampling), "auto"
// (adaptive between DefaultMinSamples and DefaultMaxSamples), or { min = 5, max = 30 }.
func (c *Config) decodeSamples(t *engine.Target, invalid func(hcl.Range, error)) {
	rng := t.AttrRange("samples")
	c.Samples, c.MinSamples = DefaultSamples, DefaultSamples
	if !t.Has("samples") {
		return
	}
	v := t.Value("samples")
	bad := fmt.Errorf(`samples must be a whole number of runs per side, "auto", or { min = N, max = M }`)
	whole := func(v cty.Value) (int, bool) {
		if v.IsNull() || !v.IsKnown() || v.Type() != cty.Number {
			return 0, false
		}
		bf := v.AsBigFloat()
		n, acc := bf.Int64()
		return int(n), bf.IsInt() && acc == big.Exact
	}
	switch {
	case v.Type() == cty.Number:
		n, ok := whole(v)
		if !ok {
			invalid(rng, fmt.Errorf("samples must be a whole number, but it is %s", v.AsBigFloat().Text('g', -1)))
			return
		}
		c.Samples, c.MinSamples = n, n
	case v.Type() == cty.String && v.AsString() == "auto":
		c.Adaptive, c.MinSamples, c.Samples = true, DefaultMinSamples, DefaultMaxSamples
	case v.Type() == cty.String:
		// A number given as text, as --var samples=3 gives it.
		n, err := strconv.Atoi(strings.TrimSpace(v.AsString()))
		if err != nil {
			invalid(rng, bad)
			return
		}
		c.Samples, c.MinSamples = n, n
	case v.Type().IsObjectType() || v.Type().IsMapType():
		c.Adaptive, c.MinSamples, c.Samples = true, DefaultMinSamples, DefaultMaxSamples
		for name, x := range v.AsValueMap() {
			n, ok := whole(x)
			switch {
			case !ok:
				invalid(rng, fmt.Errorf("samples.%s must be a whole number of runs per side", name))
				return
			case name == "min":
				c.MinSamples = n
			case name == "max":
				c.Samples = n
			default:
				invalid(rng, fmt.Errorf("samples has min and max, not %s", name))
				return
			}
		}
		if c.MinSamples > c.Samples {
			invalid(rng, fmt.Errorf("samples.min (%d) must not exceed samples.max (%d)", c.MinSamples, c.Samples))
		}
	default:
		invalid(rng, bad)
		return
	}
	switch {
	case c.MinSamples < 1:
		invalid(rng, fmt.Errorf("samples must be between 1 and %d, not %d", maxSamples, c.MinSamples))
	case c.Samples > maxSamples:
		invalid(rng, fmt.Errorf("samples must be between 1 and %d, not %d", maxSamples, c.Samples))
	}
}

// samplesLine is the sampling for the key: "10" for fixed sampling, as before adaptive
// sampling existed, so fixed measurements keep their keys' form; "auto 5..30" otherwise.
func (c *Config) samplesLine() string {
	if !c.Adaptive {
		return strconv.Itoa(c.Samples)
	}
	return fmt.Sprintf("auto %d..%d", c.MinSamples, c.Samples)
}

// moduleName is a Python module's dotted name.
var moduleName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// decodePreload reads `preload`: a list of module names, or "imports" for the test script's
// own top-level imports. A command runs /bin/sh, not Python, so there is nothing to fork it
// from; a server block needs a command, so serving benchmarks cannot preload either.
func decodePreload(t *engine.Target, c *Config, invalid func(hcl.Range, error)) *Preload {
	if !t.Has("preload") {
		return nil
	}
	rng := t.AttrRange("preload")
	v := t.Value("preload")
	p := &Preload{}
	switch {
	case v.IsNull() || !v.IsKnown():
		invalid(rng, fmt.Errorf(`preload must be a list of module names such as ["torch"], or "imports"`))
		return nil
	case v.Type() == cty.String && v.AsString() == preloadImports:
		p.ScriptImports = true
	case v.Type() == cty.String:
		invalid(rng, fmt.Errorf(`preload must be a list of module names or "imports", not %q; did you mean preload = [%q]?`, v.AsString(), v.AsString()))
		return nil
	case v.Type().IsTupleType() || v.Type().IsListType():
		for _, m := range v.AsValueSlice() {
			if m.IsNull() || !m.IsKnown() || m.Type() != cty.String || !moduleName.MatchString(m.AsString()) {
				invalid(rng, fmt.Errorf(`preload must list Python module names such as "torch" or "numpy.linalg"`))
				return nil
			}
			if !slices.Contains(p.Modules, m.AsString()) {
				p.Modules = append(p.Modules, m.AsString())
			}
		}
		if len(p.Modules) == 0 {
			invalid(rng, fmt.Errorf(`preload lists no module; name some (["torch"]), use "imports", or leave it out`))
			return nil
		}
	default:
		invalid(rng, fmt.Errorf(`preload must be a list of module names such as ["torch"], or "imports"`))
		return nil
	}
	if c.Test == TestCommand {
		invalid(rng, fmt.Errorf("preload needs a Python test (script or generator): a command runs /bin/sh, which cannot be forked from a process that has imported Python modules, and a server's runs are commands too; leave preload out"))
		return nil
	}
	return p
}

// decodeIsolation reads secrets and allow_network.
func decodeIsolation(t *engine.Target, invalid func(rng hcl.Range, err error)) Isolation {
	iso := Isolation{Secrets: t.Strings("secrets"), AllowNetwork: t.Bool("allow_network", false)}
	if err := engine.CheckSecretNames(iso.Secrets); err != nil {
		invalid(t.AttrRange("secrets"), fmt.Errorf("secrets must name environment variables: %v", err))
	}
	return iso
}

// decodeServing reads the server block and the result attributes; nil when the benchmark has
// neither.
func decodeServing(t *engine.Target, c *Config, invalid func(hcl.Range, error)) *Serving {
	srv := t.Block("server")
	if srv == nil && !t.Has("result_file") && !t.Has("metrics") && !t.Has("metric_patterns") && !t.Has("client_runs") {
		return nil
	}
	s := &Serving{
		ClientRuns:   t.Int("client_runs", 1),
		ResultFile:   t.String("result_file"),
		MetricKeys:   t.StringMap("metrics"),
		Units:        t.StringMap("units"),
		ReadyTimeout: DefaultReadyTimeout,
		StopGrace:    DefaultStopGrace,
		Patterns:     map[string]*regexp.Regexp{},
	}
	if c.Test != TestCommand {
		invalid(t.Range, fmt.Errorf("a server block, result_file, metrics and metric_patterns need the client as command"))
	}
	if srv != nil {
		s.HasServer = true
		s.Command = srv.Late("command")
		s.Ready, s.ReadyLog = srv.String("ready"), srv.String("ready_log")
		s.ReadyTimeout = srv.Duration("ready_timeout", DefaultReadyTimeout)
		s.StopGrace = srv.Duration("stop_grace", DefaultStopGrace)
		if s.Ready != "" && s.ReadyLog != "" {
			invalid(srv.AttrRange("ready_log"), fmt.Errorf("the server sets both ready and ready_log; keep the one that tells when it is ready"))
		}
		if s.Ready != "" && !strings.HasPrefix(s.Ready, "/") {
			invalid(srv.AttrRange("ready"), fmt.Errorf("ready is an HTTP path such as \"/health\", not %q", s.Ready))
		}
		if s.ReadyLog != "" {
			if _, err := regexp.Compile(s.ReadyLog); err != nil {
				invalid(srv.AttrRange("ready_log"), fmt.Errorf("ready_log is not a valid regular expression: %v", err))
			}
		}
	}
	for name, p := range t.StringMap("metric_patterns") {
		re, err := regexp.Compile(p)
		if err != nil {
			invalid(t.AttrRange("metric_patterns"), fmt.Errorf("the pattern of %s is not a valid regular expression: %v", name, err))
			continue
		}
		s.Patterns[name] = re
	}
	// A server block with neither metrics nor metric_patterns is allowed: its client prints
	// JSON lines or "Execution time" like any command.
	switch {
	case s.ResultFile != "" && len(s.MetricKeys) == 0:
		invalid(t.AttrRange("result_file"), fmt.Errorf("result_file needs metrics, the record's names for keys of the file"))
	case len(s.MetricKeys) > 0 && s.ResultFile == "":
		invalid(t.AttrRange("metrics"), fmt.Errorf("metrics names keys of a result file: set result_file"))
	}
	names := slices.Sorted(maps.Keys(s.MetricKeys))
	for _, n := range slices.Sorted(maps.Keys(s.Patterns)) {
		if _, dup := s.MetricKeys[n]; dup {
			invalid(t.AttrRange("metric_patterns"), fmt.Errorf("%s is named in both metrics and metric_patterns", n))
		}
		names = append(names, n)
	}
	if len(names) > 0 {
		switch {
		case c.Metric.Name == "" && len(names) > 1:
			invalid(t.AttrRange("metrics"), fmt.Errorf("with several metrics, primary_metric must name the one whose verdict is the benchmark's (one of %s)", strings.Join(names, ", ")))
		case c.Metric.Name == "":
			c.Metric.Name = names[0]
		case !slices.Contains(names, c.Metric.Name):
			hint := ""
			if near := engine.Suggest(c.Metric.Name, names); near != "" {
				hint = fmt.Sprintf("; did you mean %q?", near)
			}
			invalid(t.AttrRange("primary_metric"), fmt.Errorf("primary_metric %q is none of the metrics read (%s)%s", c.Metric.Name, strings.Join(names, ", "), hint))
		}
	}
	return s
}
