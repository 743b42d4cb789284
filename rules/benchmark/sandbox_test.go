package benchmark

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
	"github.com/isobench/isobench/rules/ruletest"
)

// TestSharedCacheDirs: every run in an environment with cache_dirs finds what the runs before
// it left in the shared directory, though each has a sandbox and a fresh directory of its own.
func TestSharedCacheDirs(t *testing.T) {
	if iso, why := engine.SandboxIsolation(); iso != engine.IsolationNamespaces {
		t.Skip(why)
	}
	r := gittest.New(t)
	r.Commit("a", map[string]string{"x": "a\n"})
	head := r.Commit("b", map[string]string{"x": "b\n"})
	script := `import os
path = os.path.join(os.environ["MODEL_CACHE"], "runs")
with open(path, "a") as f:
    f.write(os.environ["ISOBENCH_SIDE"] + "\n")
print("Execution time: %ds" % len(open(path).read().split()))
`
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": "commit \"c\" {\n  repo = \"" + r.Dir + "\"\n  head = \"" + head + "\"\n}\n",
		"envs/BUILD.hcl":    "environment \"py\" {\n  cache_dirs = [\"MODEL_CACHE\"]\n}\n",
		"benchmarks/BUILD.hcl": `benchmark "cached" {
  commit      = "//commits:c"
  environment = "//envs:py"
  script      = ` + ruletest.Quote(script) + `
  samples     = 2
  warmup      = 0
}
`,
	})
	o, rec, log := w.build(nil).measure(t, "cached")
	if o.Outcome.Status != engine.StatusOK {
		t.Fatalf("%s %s: %s\n%s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message, log)
	}
	runs, err := os.ReadFile(filepath.Join(artifact.EnvCacheDir(w.UserCache, "env-caches/py/MODEL_CACHE"), "runs"))
	if err != nil || len(strings.Fields(string(runs))) != 4 {
		t.Errorf("the shared cache holds %q (%v), want the four runs", runs, err)
	}
	if got := append(append([]float64{}, rec.BaseValues...), rec.HeadValues...); len(got) != 4 {
		t.Errorf("values %v", got)
	}
}

// TestBuildDoneWarnsOnceWithoutSandbox: measurements executed without namespaces make one
// warning for the build; replayed ones and sandboxed ones none.
func TestBuildDoneWarnsOnceWithoutSandbox(t *testing.T) {
	visit := func(isolation string, cached bool) *engine.Visit {
		return &engine.Visit{Outcome: &engine.Outcome{Status: engine.StatusFailed, Cached: cached,
			Meta: []byte(`{"isolation":"` + isolation + `"}`)}}
	}
	measure := func() *engine.Action { return &engine.Action{Mnemonic: "measure"} }
	b := &engine.FinishedBuild{Visits: map[*engine.Action]*engine.Visit{
		measure(): visit("process-group", false),
		measure(): visit("process-group", false),
		measure(): visit("process-group", true),
		measure(): visit("namespaces", false),
	}}
	err := Kind{}.BuildDone(b)
	if err == nil || !strings.HasPrefix(err.Error(), "2 measurements ran tests without a sandbox") {
		t.Errorf("got %v", err)
	}
	for a, v := range b.Visits {
		if strings.Contains(string(v.Outcome.Meta), "process-group") {
			delete(b.Visits, a)
		}
	}
	if err := (Kind{}).BuildDone(b); err != nil {
		t.Errorf("sandboxed only: %v", err)
	}
}

// TestDecodeIsolation: secrets and allow_network are decoded; a secret that cannot be a
// variable's name is a diagnostic at the attribute.
func TestDecodeIsolation(t *testing.T) {
	c, diags := loadConfig(t, "script = \"print(1)\"\n  secrets = [\"HF_TOKEN\"]\n  allow_network = true")
	if diags.HasErrors() || !slices.Equal(c.Isolation.Secrets, []string{"HF_TOKEN"}) || !c.Isolation.AllowNetwork {
		t.Fatalf("%v: %+v", diags, c)
	}
	_, diags = loadConfig(t, "script = \"print(1)\"\n  secrets = [\"HF-TOKEN\"]")
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "BUILD.hcl:11,13") || !strings.Contains(diags.Error(), `"HF-TOKEN" is not the name of an environment variable`) {
		t.Errorf("a bad secret name: %v", diags)
	}
}
