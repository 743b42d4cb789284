package benchmark

import (
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
