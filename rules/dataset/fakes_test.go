package dataset

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/ruletest"
)

// The dataset rule reads the results of other kinds' actions. Those kinds live in other
// packages, which a rule never imports, so these tests use stand-ins: ruletest.Commit for the
// commit, with its facts written out, and a "benchmark" kind whose actions (generate,
// environment, measure) return hand-made artifacts through the real engine and the real cache.

const (
	baseSHA = "8c1e77fb585c4f42783a3d88c1efc7c9e15fd89f"
	headSHA = "98f47f2a4032f8c395268de80858c64ffcfc60fa"
)

const testDiff = `diff --git a/vllm/attention/ops.py b/vllm/attention/ops.py
index 1111111..2222222 100644
--- a/vllm/attention/ops.py
+++ b/vllm/attention/ops.py
@@ -10,6 +10,6 @@ class FlashAttention:
     def forward(self, q, k, v):
-        return slow(q, k, v)
+        return fast(q, k, v)
`

// commitBuild declares the one commit of every test workspace.
var commitBuild = `commit "flash" {
  head    = "` + headSHA + `"
  base    = "` + baseSHA + `"
  subject = "[Perf] Faster attention (#1)"
  message = "[Perf] Faster attention (#1)\n\nFaster attention."
  diff    = ` + ruletest.Quote(testDiff) + `
  files   = ["vllm/attention/ops.py"]
}
`

// fakeBenchmark is the "benchmark" kind. Its `scenario` says how the measurement ends:
// improved, regressed, failed (base_failed, with a partial measurement in Meta), skipped,
// blocked (the head environment has no wheel, so the measure action never runs), or badgen
// (the generator rejects every attempt, keeping its record as an output of the failure).
type fakeBenchmark struct{}

func (fakeBenchmark) Name() string { return "benchmark" }
func (fakeBenchmark) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "commit", Type: engine.TypeLabel, RefKind: "commit", Required: true},
		{Name: "scenario", Type: engine.TypeString, Required: true},
	}}
}

// benchmarkConfig is a decoded benchmark target.
type benchmarkConfig struct {
	commit   engine.Label
	scenario string
}

func (fakeBenchmark) Decode(t *engine.Target) (any, hcl.Diagnostics) {
	return &benchmarkConfig{commit: t.Body.Label("commit"), scenario: t.String("scenario")}, nil
}

func (fakeBenchmark) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	cfg := t.Config.(*benchmarkConfig)
	commit, err := p.Plan(cfg.commit)
	if err != nil {
		return nil, err
	}
	scenario := cfg.scenario
	genID := "generate //generators:gpt @ " + commit.Label.String()
	if scenario == "badgen" || scenario == "nokey" {
		genID += " " + t.Label.Name
	}
	gen := p.Add(fake(genID, "generate", engine.Label{Pkg: "generators", Name: "gpt"},
		[]*engine.Action{commit}, func() *engine.Result {
			g := artifact.Generation{Generator: "//generators:gpt", Endpoint: "http://127.0.0.1:1/v1", Model: "gpt-test",
				Params: map[string]string{"temperature": "0.2", "max_tokens": "3000"},
				Attempts: []artifact.Attempt{
					{Response: "bad", FinishReason: "stop", ServedModel: "gpt-test-0501", PromptTokens: 100, OutputTokens: 50, Problem: "no timing"},
					{Request: "fix it", Response: "good", FinishReason: "stop", ServedModel: "gpt-test-0501", PromptTokens: 120, OutputTokens: 60},
				}}
			if scenario == "nokey" {
				return engine.Failed("missing_api_key", "The generator needs OPENAI_API_KEY.")
			}
			if scenario == "badgen" {
				r := engine.Failed("generation_invalid", "No attempt gave a usable test.")
				r.Outputs = map[string][]byte{artifact.GenerationOutput: mustJSON(g)}
				return r
			}
			return engine.OK(map[string][]byte{artifact.GenerationOutput: mustJSON(g), artifact.ScriptOutput: []byte(testScript)}, nil)
		}))
	var envs []*engine.Action
	for _, side := range []artifact.Side{artifact.Base, artifact.Head} {
		env := artifact.Environment{StoreKey: "k-" + string(side), Side: side, Commit: baseSHA, PythonVersion: "3.11.7",
			Installer: "pip 23.2.1", Lock: "torch==2.3.0+cu121\nvllm @ https://wheels.example/vllm-1.0.0.dev-cp38-abi3-manylinux1_x86_64.whl\n",
			LockDigest: "lock-" + string(side), Installed: map[string]string{"vllm": "0.6.4.dev1+g" + string(side)},
			Resolved: []artifact.ResolvedFile{{Package: "vllm", URL: "https://wheels.example/vllm-1.0.0.dev-cp38-abi3-manylinux1_x86_64.whl", Direct: true}},
			Spec: &artifact.EnvironmentSpec{Packages: []string{"vllm", "numpy<2"}, ResolveAsOf: "2026-01-01T00:00:00Z", Install: "wheel",
				WheelURL: []string{"https://wheels.example/vllm-1.0.0.dev-cp38-abi3-manylinux1_x86_64.whl"}}}
		fail := scenario == "blocked" && side == artifact.Head
		envs = append(envs, p.Add(fake("environment //envs:wheel @ "+commit.Label.String()+" "+string(side)+" "+t.Label.Name,
			"environment", engine.Label{Pkg: "envs", Name: "wheel"}, []*engine.Action{commit}, func() *engine.Result {
				if fail {
					return engine.Failed("no_wheel", "No wheel of vllm is published for %s.", headSHA[:12])
				}
				return engine.OK(map[string][]byte{artifact.EnvironmentOutput: mustJSON(env)}, nil)
			})))
	}
	deps := append([]*engine.Action{commit, gen}, envs...)
	return fake("measure "+t.Label.String(), "measure", t.Label, deps, func() *engine.Result {
		m := measurement(t.Label.String(), commit.Label.String(), scenario)
		switch scenario {
		case "failed":
			r := engine.Failed("base_failed", "The test failed at base with exit code 1.")
			r.Meta = m
			return r
		case "skipped":
			return engine.Skipped("This benchmark needs compute capability 9.0; the machine has none.")
		}
		return engine.OK(map[string][]byte{artifact.MeasurementOutput: mustJSON(m)}, map[string]any{"samples": len(m.Samples)})
	}), nil
}

const testScript = "import time\nstart = time.perf_counter()\nprint(time.perf_counter() - start)\n"

// measurement makes the artifact a measure action would store. It holds no NaN: the measure
// rule stores JSON, which has none (TestStrictJSON feeds NaN to the record builder directly).
func measurement(benchmark, commit, scenario string) artifact.Measurement {
	f := func(v float64) *float64 { return &v }
	m := artifact.Measurement{
		Benchmark: benchmark, Commit: commit, BaseSHA: baseSHA, HeadSHA: headSHA, Test: "generated", Script: testScript,
		Metric: "latency", Unit: "ms", Direction: "lower",
		BaseValues: []float64{10, 10.5, 9.8, 9.5}, HeadValues: []float64{8, 8.2, 7.9, 8.1},
		Stats: artifact.Stats{BaseMedian: f(10), HeadMedian: f(8), Speedup: f(1.25), CILow: f(1.1), CIHigh: f(1.4),
			PValue: nil, Verdict: "improved", Reason: "Head is 25% faster.", Confidence: 0.95},
		Hardware: artifact.Hardware{Class: "hw-h100", CPUModel: "Xeon", CPUCount: 16, GPUCount: 1, GPUName: "NVIDIA H100 80GB HBM3",
			GPUMemMiB: 81559, ComputeCap: "9.0", Driver: "580.159.04", CUDA: "13.0", GPUUUIDs: []string{"GPU-1"}},
		BaseLock: "lock-base", HeadLock: "lock-head",
	}
	for i, side := range []artifact.Side{artifact.Base, artifact.Head, artifact.Base, artifact.Head} {
		m.Samples = append(m.Samples, artifact.Sample{Side: side, Index: i, Warmup: i < 2, Value: f(float64(9 + i)), Seconds: 1,
			Before:      &artifact.GPUState{UUID: "GPU-1", SMClockMHz: 1980, MemClockMHz: 2619, TemperatureC: 40 + i, PowerW: 100, PowerLimitW: 700},
			After:       &artifact.GPUState{UUID: "GPU-1", SMClockMHz: 1800 - i, MemClockMHz: 2619, TemperatureC: 50 + i, PowerW: 300, PowerLimitW: 700, ThrottleReasons: []string{"sw_power_cap"}},
			OthersAfter: []artifact.GPUState{{UUID: "GPU-2", SMClockMHz: 1900, MemClockMHz: 2619, TemperatureC: 45, PowerW: 200, PowerLimitW: 700, ThrottleReasons: []string{"hw_slowdown"}}},
			Throttled:   i == 3})
	}
	switch scenario {
	case "regressed":
		m.Direction, m.Metric, m.Unit = "higher", "throughput", "tokens/s"
		m.Stats = artifact.Stats{BaseMedian: f(100), HeadMedian: f(90), Speedup: f(0.9), CILow: f(0.85), CIHigh: f(0.95), PValue: f(0.01), Verdict: "regressed"}
	case "command":
		m.Test, m.Script, m.Command = "command", "", "python benchmarks/benchmark_serving.py --model Qwen/Qwen2.5-7B-Instruct --request-rate 1"
	case "failed":
		m.HeadValues, m.BaseValues, m.Stats = nil, nil, artifact.Stats{}
		m.FailureClass, m.OutputTail = "base_failed", "Traceback: ImportError"
	}
	return m
}

// produces are the outputs the real rules declare, by mnemonic.
var produces = map[string][]string{
	"generate":    {artifact.GenerationOutput, artifact.ScriptOutput},
	"environment": {artifact.EnvironmentOutput},
	"measure":     {artifact.MeasurementOutput},
}

// fake makes an action whose Prepare keys it by its ID and its inputs' outputs, as a real
// rule does, and whose Run returns what result() gives.
func fake(id, kind string, label engine.Label, deps []*engine.Action, result func() *engine.Result) *engine.Action {
	a := &engine.Action{ID: id, Mnemonic: kind, Label: label, Deps: deps, Produces: produces[kind]}
	a.Prepare = func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
		lines := []engine.Line{engine.L("id", id)}
		for _, d := range deps {
			outs := map[string]string{}
			for name, dg := range in.Result(d).Outputs {
				outs[name] = string(dg)
			}
			lines = append(lines, engine.MapLines("input."+d.Mnemonic, outs)...)
		}
		return &engine.Work{RuleVersion: 1, Lines: lines, Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
			x.Log.Write([]byte("log of " + id + "\n"))
			return result(), nil
		}}, nil
	}
	return a
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

// workspace writes a workspace with one commit, the benchmarks given (name -> scenario) and
// the dataset block given.
func workspace(t *testing.T, benchmarks map[string]string, datasetBlock string) *ruletest.Workspace {
	t.Helper()
	files := map[string]string{
		"commits/BUILD.hcl":    commitBuild,
		"dataset/BUILD.hcl":    datasetBlock,
		"benchmarks/BUILD.hcl": "",
	}
	for name, scenario := range benchmarks {
		files["benchmarks/BUILD.hcl"] += "benchmark \"" + name + "\" {\n  commit = \"//commits:flash\"\n  scenario = \"" + scenario + "\"\n}\n"
	}
	return ruletest.New(t, files, Kind{}, ruletest.Commit{}, fakeBenchmark{})
}

// build builds one dataset target with the real scheduler and cache, executing again the
// actions that the rerun patterns match. It returns the target's visit and every visit.
func build(t *testing.T, w *ruletest.Workspace, label string, rerun ...string) (*engine.Visit, map[*engine.Action]*engine.Visit) {
	t.Helper()
	var patterns []engine.Pattern
	for _, r := range rerun {
		pat, err := engine.ParsePattern(r, "")
		if err != nil {
			t.Fatal(err)
		}
		patterns = append(patterns, pat)
	}
	b := w.Run(w.Plan(label), engine.Options{Jobs: 2, Rerun: patterns})
	out := b.Targets[ruletest.Label(label)]
	if out.Outcome == nil {
		t.Fatalf("%s did not finish: %s %v", label, out.Reason, out.Err)
	}
	return out, b.Visits
}
