package benchmark

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
	"github.com/isobench/isobench/rules/ruletest"
)

// slowModule is a module that takes a while to import, as torch does, and counts its imports:
// each appends the importing process's side to $SLOWMOD_LOG.
const slowModule = `import os, time
with open(os.environ["SLOWMOD_LOG"], "a") as f:
    f.write(os.environ.get("ISOBENCH_SIDE", "?") + "\n")
time.sleep(float(os.environ.get("SLOWMOD_SECONDS", "1")))
VALUE = 41.5
`

// factsScript prints what a run is, as a fresh process sees it, and two values of a metric.
const factsScript = `import json, os, sys, tempfile
import slowmod
try:
    import not_installed_anywhere
except ImportError:
    pass
facts = {
    "name": __name__,
    "argv": [os.path.basename(a) for a in sys.argv],
    "cwd_is_home": os.getcwd() == os.environ["HOME"],
    "tmpdir": tempfile.gettempdir() == os.environ["TMPDIR"] and os.environ["TMPDIR"].startswith(os.getcwd()),
    "path0": sys.path[0] == os.path.dirname(os.path.abspath(sys.argv[0])),
    "path": sys.path[1:],
    "flags": repr(sys.flags),
    "stdin": sys.stdin.read(),
    "env": sorted(os.environ),
    "side": os.environ["ISOBENCH_SIDE"],
}
print("FACTS " + json.dumps(facts, sort_keys=True))
# A fresh run in a sandbox shares its init's group, in a PID namespace of its own; a forked
# run leads a group of its own in its side's namespace.
print("GROUP leader=%s" % (os.getpgrp() == os.getpid()))
with open(os.environ["PIDS_LOG"], "a") as f:
    f.write("%s %d\n" % (os.environ["ISOBENCH_SIDE"], os.getpid()))
print(json.dumps({"metric": "work", "values": [slowmod.VALUE, 2.5], "unit": "u"}))
`

// preloadFixture is a repository, a directory of modules the sandboxed runs share, and the
// environment blocks that put it on PYTHONPATH, one per import log.
type preloadFixture struct {
	head    string
	mods    string
	commits string // the commit block
	seconds string // how long an import of slowmod takes
}

func newPreloadFixture(t *testing.T, seconds string) *preloadFixture {
	r := gittest.New(t)
	r.Commit("base", map[string]string{"README": "a\n"})
	f := &preloadFixture{head: r.Commit("head", map[string]string{"README": "b\n"}), mods: t.TempDir()}
	engine.ShareWithSandboxes(t, f.mods)
	for name, src := range map[string]string{
		"slowmod.py": slowModule,
		// torch's own check, standing in for a module that initialises CUDA at import.
		"torch/__init__.py": "from . import cuda\n",
		"torch/cuda.py":     "def is_initialized():\n    return True\n",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(f.mods, name)), 0o755)
		if err := os.WriteFile(filepath.Join(f.mods, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f.commits = fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, f.head)
	f.seconds = seconds
	return f
}

// env is an environment whose imports of slowmod are counted in mods/<name>.imports, and
// whose runs write their pids to mods/<name>.pids.
func (f *preloadFixture) env(name string) string {
	return fmt.Sprintf(`environment %q {
  env = {
    PYTHONPATH      = %q
    SLOWMOD_LOG     = %q
    SLOWMOD_SECONDS = %q
    PIDS_LOG        = %q
  }
}
`, name, f.mods, filepath.Join(f.mods, name+".imports"), f.seconds, filepath.Join(f.mods, name+".pids"))
}

func (f *preloadFixture) lines(t *testing.T, name string) []string {
	b, err := os.ReadFile(filepath.Join(f.mods, name))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// TestPreload measures one test afresh and forked from a preloading process, and checks that
// the runs see the same, report the same, and that the slow module was imported once a side.
// Beside them, every way preloading can fail.
func TestPreload(t *testing.T) {
	f := newPreloadFixture(t, "0.1")
	marker := fmt.Sprintf("preload-hung-child-%d-%d", os.Getpid(), time.Now().UnixNano())
	hung := fmt.Sprintf(`import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import os, time; os.setsid(); time.sleep(600)", %q])
print("waiting forever", flush=True)
time.sleep(600)
`, marker)
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": f.commits,
		"envs/BUILD.hcl":    f.env("fresh") + f.env("forked") + f.env("other"),
		"benchmarks/BUILD.hcl": `
benchmark "fresh" {
  commit      = "//commits:c"
  environment = "//envs:fresh"
  script      = ` + ruletest.Quote(factsScript) + `
  samples     = 3
}
benchmark "forked" {
  commit      = "//commits:c"
  environment = "//envs:forked"
  script      = ` + ruletest.Quote(factsScript) + `
  samples     = 3
  preload     = "imports"
}
benchmark "hung" {
  commit  = "//commits:c"
  script  = ` + ruletest.Quote(hung) + `
  preload = ["subprocess"]
  timeout = "2s"
}
benchmark "parent_dies" {
  commit  = "//commits:c"
  script  = "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(30)\n"
  preload = ["json"]
}
benchmark "import_error" {
  commit  = "//commits:c"
  script  = "print('Execution time: 1s')\n"
  preload = ["json", "missing_module_of_preload"]
}
benchmark "syntax" {
  commit  = "//commits:c"
  script  = "import json\ndef broken(:\n"
  preload = "imports"
}
benchmark "cuda_imports" {
  commit      = "//commits:c"
  environment = "//envs:other"
  script      = "import json\nimport torch\nimport os\nprint('Execution time: 0.01s')\n"
  preload     = "imports"
  samples     = 2
  warmup      = 0
}
benchmark "cuda" {
  commit      = "//commits:c"
  environment = "//envs:other"
  script      = "print('Execution time: 1s')\n"
  preload     = ["json", "torch"]
}
`,
	})
	w.jobs = 1
	b := w.build(nil)

	fresh, freshRec, freshLog := b.measure(t, "fresh")
	forked, forkedRec, forkedLog := b.measure(t, "forked")
	for _, v := range []*engine.Visit{fresh, forked} {
		if v.Outcome.Status != engine.StatusOK {
			t.Fatalf("%s: %s %s: %s\n%s", v.Key, v.Outcome.Status, v.Outcome.Class, v.Outcome.Message, b.AllLogs())
		}
	}
	// The same facts and values: a forked run is the process a fresh one is.
	facts := regexp.MustCompile(`FACTS .*`)
	if a, b := facts.FindAllString(freshLog, -1), facts.FindAllString(forkedLog, -1); len(a) == 0 || !slices.Equal(a, b) {
		t.Errorf("a forked run saw\n%s\nwhere a fresh one saw\n%s", strings.Join(b, "\n"), strings.Join(a, "\n"))
	}
	for _, m := range []string{"GROUP leader=True", `"cwd_is_home": true`, `"path0": true`, `"tmpdir": true`, `"name": "__main__"`, `"stdin": ""`} {
		if !strings.Contains(forkedLog, m) {
			t.Errorf("a forked run's facts lack %s:\n%s", m, forkedLog)
		}
	}
	if !slices.Equal(freshRec.BaseValues, forkedRec.BaseValues) || !slices.Equal(freshRec.HeadValues, forkedRec.HeadValues) ||
		!slices.Equal(forkedRec.Metrics[0].BaseRuns[0], []float64{41.5, 2.5}) {
		t.Errorf("values: fresh %v %v, forked %v %v", freshRec.BaseValues, freshRec.HeadValues, forkedRec.BaseValues, forkedRec.HeadValues)
	}
	// Imported once a run afresh (4 runs a side, warmup included), once a side preloaded.
	if got := f.lines(t, "fresh.imports"); len(got) != 8 {
		t.Errorf("fresh runs imported slowmod %d times (%v), want 8", len(got), got)
	}
	if got := f.lines(t, "forked.imports"); len(got) != 2 || slices.Index(got, "base") < 0 || slices.Index(got, "head") < 0 {
		t.Errorf("the preloaded sides imported slowmod %v, want once each side", got)
	}
	// Each run a process of its own.
	pids := f.lines(t, "forked.pids")
	seen := map[string]bool{}
	for i := 0; i+1 < len(pids); i += 2 {
		seen[pids[i]+" "+pids[i+1]] = true
	}
	if len(pids) != 16 || len(seen) != 8 {
		t.Errorf("forked runs' sides and pids %v: want 8 runs, each its own pid", pids)
	}
	p := forkedRec.Preload
	if p == nil || !p.ScriptImports || len(p.Sides) != 2 {
		t.Fatalf("the forked record's preload: %+v", p)
	}
	for side, s := range p.Sides {
		if !slices.Equal(s.Imported, []string{"json", "os", "sys", "tempfile", "slowmod"}) ||
			!slices.Equal(s.Skipped, []string{"not_installed_anywhere"}) || s.Seconds < 0.1 {
			t.Errorf("preload %s: %+v", side, s)
		}
	}
	if freshRec.Preload != nil || !strings.Contains(forkedLog, "every run is forked from it") {
		t.Errorf("fresh preload %+v; forked log:\n%s", freshRec.Preload, forkedLog)
	}
	if !strings.Contains(fresh.Desc, "\nenvironment.base ") || strings.Contains(fresh.Desc, "\npreload") ||
		!strings.Contains(forked.Desc, "\npreload imports\n") {
		t.Errorf("keys: fresh\n%s\nforked\n%s", fresh.Desc, forked.Desc)
	}

	// A run past its timeout is killed with what it started, even a child that left its group.
	o, rec, log := b.measure(t, "hung")
	if o.Outcome.Class != ClassTimeout || !strings.Contains(o.Outcome.Message, "within 2s") || rec.FailureClass != ClassTimeout ||
		!strings.Contains(log, "waiting forever") {
		t.Errorf("hung: %s: %s\n%s", o.Outcome.Class, o.Outcome.Message, log)
	}
	if pids := markedAlive(marker); len(pids) > 0 {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if iso, _ := engine.SandboxIsolation(); iso == engine.IsolationNamespaces {
			t.Errorf("hung: the run's child %v outlived the timeout", pids)
		}
	}

	o, _, log = b.measure(t, "parent_dies")
	if o.Outcome.Class != "preload_died" || !strings.Contains(o.Outcome.Message, "preloading process ended during the run") {
		t.Errorf("parent_dies: %s: %s\n%s", o.Outcome.Class, o.Outcome.Message, log)
	}
	o, rec, log = b.measure(t, "import_error")
	if o.Outcome.Class != ClassBaseFailed || !strings.Contains(o.Outcome.Message, `could not import missing_module_of_preload (preload = ["json", "missing_module_of_preload"])`) ||
		!strings.Contains(o.Outcome.Message, "ModuleNotFoundError") || !strings.Contains(log, "Traceback") || len(rec.Samples) != 0 {
		t.Errorf("import_error: %s: %s\n%s", o.Outcome.Class, o.Outcome.Message, log)
	}
	// A script Python cannot parse has no imports to preload: its runs fail on it, as fresh.
	o, _, _ = b.measure(t, "syntax")
	if o.Outcome.Class != ClassBaseFailed || !strings.Contains(o.Outcome.Message, "SyntaxError") {
		t.Errorf("syntax: %s: %s", o.Outcome.Class, o.Outcome.Message)
	}
	o, _, _ = b.measure(t, "cuda")
	if o.Outcome.Class != ClassPreloadFailed || !strings.Contains(o.Outcome.Message, "importing torch initialised CUDA") {
		t.Errorf("cuda: %s: %s", o.Outcome.Class, o.Outcome.Message)
	}

	// The script's own imports: the one that initialises CUDA, and those after it, are left to
	// the runs.
	o, rec, log = b.measure(t, "cuda_imports")
	if o.Outcome.Status != engine.StatusOK || rec.Preload == nil {
		t.Fatalf("cuda_imports: %s %s: %s\n%s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message, log)
	}
	if s := rec.Preload.Sides["head"]; !slices.Equal(s.Imported, []string{"json"}) || s.CUDAAtImport != "torch" ||
		!strings.Contains(log, "importing torch initialised CUDA, which a forked run cannot inherit") {
		t.Errorf("cuda_imports: head preloaded %+v\n%s", s, log)
	}

	// A failed import and CUDA initialised at import are the commit's and the benchmark's:
	// cached. A preloading process killed from outside is not: tried again.
	again := w.build(nil)
	for _, name := range []string{"forked", "import_error", "cuda", "hung", "syntax"} {
		if o, _, _ := again.measure(t, name); !o.Outcome.Cached {
			t.Errorf("%s ran again: %s %s", name, o.Outcome.Status, o.Outcome.Class)
		}
	}
	if o, _, _ := again.measure(t, "parent_dies"); o.Outcome.Cached {
		t.Error("a measurement whose preloading process died was cached")
	}
}

func TestDecodePreload(t *testing.T) {
	c, diags := loadConfig(t, "script = \"x\"\n  preload = [\"torch\", \"numpy.linalg\", \"torch\"]")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if c.Preload == nil || !slices.Equal(c.Preload.Modules, []string{"torch", "numpy.linalg"}) || c.Preload.ScriptImports {
		t.Errorf("preload %+v", c.Preload)
	}
	if !slices.ContainsFunc(c.lines(), func(l engine.Line) bool { return l.Name == "preload" && l.Value == "modules torch numpy.linalg" }) {
		t.Errorf("the key lacks the preload: %v", c.lines())
	}
	c, _ = loadConfig(t, "script = \"x\"\n  preload = \"imports\"")
	if c.Preload == nil || !c.Preload.ScriptImports || c.Preload.line() != "imports" {
		t.Errorf("preload %+v", c.Preload)
	}
	c, _ = loadConfig(t, "script = \"x\"")
	if c.Preload != nil || slices.ContainsFunc(c.lines(), func(l engine.Line) bool { return l.Name == "preload" }) {
		t.Errorf("no preload, yet %+v", c.Preload)
	}
	for body, want := range map[string]string{
		"script = \"x\"\n  preload = \"torch\"":              `did you mean preload = ["torch"]?`,
		"script = \"x\"\n  preload = []":                     "preload lists no module",
		"script = \"x\"\n  preload = [\"torch nn\"]":         "preload must list Python module names",
		"script = \"x\"\n  preload = 3":                      "preload must be a list of module names",
		"command = \"python b.py\"\n  preload = [\"torch\"]": "preload needs a Python test (script or generator)",
		"command = \"python b.py\"\n  preload = \"imports\"": "a command runs /bin/sh",
	} {
		_, diags := loadConfig(t, body)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), want) {
			t.Errorf("%s\n=> %v, want an error containing %q", body, diags, want)
			continue
		}
		if r := diags[0].Subject; r == nil || r.Start.Line != 11 || r.Start.Column != 13 {
			t.Errorf("%s: the error is at %v, want line 11, column 13 (the value of preload)", body, r)
		}
	}
}

// TestPreloadVariant: a variant's side preloads its own code, the patch laid over the base
// environment, not the base's: every side has a preloading process of its own.
func TestPreloadVariant(t *testing.T) {
	r := gittest.New(t)
	r.Commit("base", map[string]string{"pkg/__init__.py": "", "pkg/work.py": "N = 600000\n"})
	head := r.Commit("loop less", map[string]string{"pkg/work.py": "N = 200000\n"})
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
		"envs/BUILD.hcl":    "environment \"wheel\" {\n  install_package = \"pkg\"\n}\n",
		"benchmarks/BUILD.hcl": `
benchmark "n" {
  commit      = "//commits:c"
  script      = "import json\nfrom pkg.work import N\nprint(json.dumps({'metric': 'n', 'value': N}))\n"
  environment = "//envs:wheel"
  preload     = "imports"
  samples     = 2
  warmup      = 0
  variants    = { faster = ` + ruletest.Quote(fasterPatch) + ` }
}
`,
	})
	b := w.build(nil)
	rec := b.records["measure //benchmarks:n variant faster"]
	if rec == nil || rec.Variant == nil || rec.Preload == nil || len(rec.Preload.Sides) != 3 {
		t.Fatalf("the variant's unit: %+v\n%s", rec, b.AllLogs())
	}
	if !slices.Equal(rec.BaseValues, []float64{600000, 600000}) || !slices.Equal(rec.HeadValues, []float64{200000, 200000}) ||
		!slices.Equal(rec.Variant.Values, []float64{50000, 50000}) {
		t.Errorf("base %v, head %v, variant %v", rec.BaseValues, rec.HeadValues, rec.Variant.Values)
	}
	if s := rec.Preload.Sides["faster"]; !slices.Contains(s.Imported, "pkg.work") {
		t.Errorf("the variant's side preloaded %+v (sides %v)", s, rec.Preload.Sides)
	}
}
