package benchmark

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/benchmark/hardware"
	"github.com/isobench/isobench/rules/benchmark/stats"
	"github.com/isobench/isobench/rules/ruletest"
	"github.com/zclconf/go-cty/cty"
)

// loadConfig loads a workspace of a commit and the benchmark body given, and returns the
// benchmark's decoded config.
func loadConfig(t *testing.T, body string) (*Config, hcl.Diagnostics) {
	t.Helper()
	w := ruletest.New(t, map[string]string{"c/BUILD.hcl": `commit "c" {
  repo = "/r"
  head = "h"
}
generator "g" {
  script = "s"
}
benchmark "b" {
  commit = ":c"
  ` + body + `
}
`}, Kind{}, ruletest.Commit{}, generatorKind{})
	ws, diags := engine.Load(w.Dir, engine.LoadOptions{Kinds: w.Kinds})
	if diags.HasErrors() {
		return nil, diags
	}
	return ws.Targets[engine.Label{Pkg: "c", Name: "b"}].Config.(*Config), diags
}

func TestDecodeDefaults(t *testing.T) {
	c, diags := loadConfig(t, `script = "print(1)"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := Config{Commit: engine.Label{Pkg: "c", Name: "c"}, Test: TestScript, Script: "print(1)", Direction: Lower,
		Samples: DefaultSamples, Warmup: DefaultWarmup, Timeout: DefaultTimeout, Verdict: stats.DefaultThresholds}
	if c.Commit != want.Commit || c.Test != want.Test || c.Script != want.Script || c.Direction != want.Direction ||
		c.Samples != want.Samples || c.Warmup != want.Warmup || c.Timeout != want.Timeout || c.Verdict != want.Verdict ||
		c.Requires != (hardware.Requirements{}) || !c.Environment.IsZero() || c.Command.IsSet() || c.Metric.Regex != nil {
		t.Errorf("config %+v, want %+v", *c, want)
	}
}

func TestDecodeSettings(t *testing.T) {
	c, diags := loadConfig(t, `generator = ":g"
  samples = 3
  warmup = 0
  timeout = "90s"
  metric = "p50"
  metric_regex = "p50: ([0-9.]+)"
  unit = "ms"
  direction = "higher"
  requires {
    fp8 = true
  }
  verdict {
    min_effect = 0.1
  }`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if c.Test != TestGenerated || c.Generator != (engine.Label{Pkg: "c", Name: "g"}) || c.Samples != 3 || c.Warmup != 0 ||
		c.Timeout != 90*time.Second || c.Direction != Higher || c.Metric.Name != "p50" || c.Metric.Unit != "ms" ||
		c.Metric.Regex == nil || c.MetricRegex != "p50: ([0-9.]+)" || c.Verdict.MinEffect != 0.1 || c.Verdict.MaxP != stats.DefaultThresholds.MaxP {
		t.Errorf("config %+v", *c)
	}
	// FP8 implies a GPU: the config holds the requirements as they are checked and keyed.
	if c.Requires != (hardware.Requirements{GPUs: 1, FP8: true}) {
		t.Errorf("requires %+v, want one GPU with FP8", c.Requires)
	}
}

// TestDecodeLateCommand: a command that names the commit stays an expression in the config
// and is evaluated per side.
func TestDecodeLateCommand(t *testing.T) {
	c, diags := loadConfig(t, `command = "echo ${commit.sha}"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if c.Test != TestCommand || !c.Command.IsLate() {
		t.Fatalf("test %q, command late %v", c.Test, c.Command.IsLate())
	}
	got, err := c.Command.String(map[string]cty.Value{"commit": cty.ObjectVal(map[string]cty.Value{"sha": cty.StringVal("abc")})})
	if err != nil || got != "echo abc" {
		t.Errorf("command for abc = %q, %v", got, err)
	}
}

// TestDecodeDiagnosticsPointAtTheSetting: a setting out of range is reported where it is
// written, not at the block.
func TestDecodeDiagnosticsPointAtTheSetting(t *testing.T) {
	_, diags := loadConfig(t, "script = \"x\"\n  samples = 0")
	if len(diags) != 1 || diags[0].Subject == nil || diags[0].Subject.Start.Line != 11 || diags[0].Subject.Start.Column != 13 {
		t.Errorf("diagnostics %v, want one at line 11, column 13 (the value of samples)", diags)
	}
}

func TestDecodeSamplingAndMetrics(t *testing.T) {
	for body, want := range map[string][3]int{ // adaptive?, min, max
		`samples = 7`:                     {0, 7, 7},
		`samples = "4"`:                   {0, 4, 4}, // as --var samples=4 gives it
		`samples = "auto"`:                {1, DefaultMinSamples, DefaultMaxSamples},
		`samples = { min = 3, max = 12 }`: {1, 3, 12},
		`samples = { max = 50 }`:          {1, DefaultMinSamples, 50},
	} {
		c, diags := loadConfig(t, "script = \"x\"\n  "+body)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", body, diags)
		}
		if got := [3]int{map[bool]int{true: 1}[c.Adaptive], c.MinSamples, c.Samples}; got != want {
			t.Errorf("%s: adaptive, min, max = %v, want %v", body, got, want)
		}
	}
	c, diags := loadConfig(t, `script = "x"
  primary_metric = "throughput"
  direction = "higher"
  directions = { latency = "lower" }
  flagged_runs = "exclude"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if c.Metric.Name != "throughput" || c.DirectionOf("throughput") != Higher || c.DirectionOf("latency") != Lower ||
		c.DirectionOf("memory") != Higher || c.Flagged != ExcludeFlagged {
		t.Errorf("config %+v", *c)
	}
	for body, want := range map[string]string{
		`samples = "many"`:                         "samples must be a whole number of runs per side",
		`samples = { min = 9, max = 4 }`:           "samples.min (9) must not exceed samples.max (4)",
		`samples = { min = 2, most = 4 }`:          "samples has min and max, not most",
		`samples = { max = 500 }`:                  "samples must be between 1 and 200, not 500",
		`samples = 0`:                              "samples must be between 1 and 200, not 0",
		`directions = { tput = "up" }`:             `the direction of tput must be "lower" or "higher", not "up"`,
		"metric = \"a\"\n  primary_metric = \"b\"": "sets both metric and primary_metric",
	} {
		_, diags := loadConfig(t, "script = \"x\"\n  "+body)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), want) {
			t.Errorf("%s\n=> %v, want an error containing %q", body, diags, want)
		}
	}
}
