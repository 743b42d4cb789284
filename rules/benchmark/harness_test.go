package benchmark

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/benchmark/hardware"
	"github.com/isobench/isobench/rules/gitrepo"
)

// The kinds below stand in for the commit, generator and environment rules, which live in
// other packages this one must not import. They do real work: the commit kind reads a real Git
// repository through gitrepo, the environment kind makes a real venv in the env store.

// commitKind reads the facts of `head` (and `base`, default its parent) of the repository at
// the absolute path `repo`.
type commitKind struct{}

func (commitKind) Name() string { return "commit" }
func (commitKind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "repo", Type: engine.TypeString, Required: true},
		{Name: "head", Type: engine.TypeString, Required: true},
		{Name: "base", Type: engine.TypeString},
	}}
}
func (commitKind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	repo, head, base := t.String("repo"), t.String("head"), t.String("base")
	return &engine.Action{ID: "commit " + t.Label.String(), Mnemonic: "commit", Label: t.Label,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return &engine.Work{RuleVersion: 1, Lines: []engine.Line{engine.L("repo", repo), engine.L("head", head), engine.L("base", base)},
				Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
					m := gitrepo.NewMirror(x.UserCache, repo)
					if _, err := m.Ensure(ctx); err != nil {
						return nil, err
					}
					s := m.Session(true)
					defer s.Close()
					f, err := s.Facts(ctx, head, base)
					if err != nil {
						return nil, err
					}
					f.Repo, f.RepoURL = "//repos:src", repo
					data, err := json.Marshal(f)
					if err != nil {
						return nil, err
					}
					return engine.OK(map[string][]byte{artifact.CommitOutput: data}, nil), nil
				}}, nil
		}}, nil
}

// generatorKind "generates" its `script` for a commit, as the generator rule hands a test on.
type generatorKind struct{}

func (generatorKind) Name() string { return "generator" }
func (generatorKind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{{Name: "script", Type: engine.TypeString, Required: true}}}
}
func (generatorKind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	return &engine.Action{ID: "generator " + t.Label.String(), Mnemonic: "generator", Label: t.Label,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return &engine.Work{Done: engine.OK(nil, nil)}, nil
		}}, nil
}
func (generatorKind) PlanFor(p *engine.Planner, t *engine.Target, commit *engine.Action, side string) (*engine.Action, error) {
	script := []byte(t.String("script"))
	return &engine.Action{ID: fmt.Sprintf("generate %s @ %s %s", t.Label, commit.Label, side), Mnemonic: "generate", Label: t.Label,
		Deps: []*engine.Action{commit},
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return &engine.Work{RuleVersion: 1, Lines: []engine.Line{engine.LongLine("script", script)},
				Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
					return engine.OK(map[string][]byte{artifact.ScriptOutput: script}, nil), nil
				}}, nil
		}}, nil
}

// envKind builds a venv (without pip, which is not needed to run a script) per commit and
// side in the env store, with the declared `env` variables.
type envKind struct{}

func (envKind) Name() string { return "environment" }
func (envKind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{{Name: "env", Type: engine.TypeStringMap}}}
}
func (envKind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	return &engine.Action{ID: "environment " + t.Label.String(), Mnemonic: "environment", Label: t.Label,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return &engine.Work{Done: engine.OK(nil, nil)}, nil
		}}, nil
}
func (envKind) PlanFor(p *engine.Planner, t *engine.Target, commit *engine.Action, side string) (*engine.Action, error) {
	vars := t.StringMap("env")
	return &engine.Action{ID: fmt.Sprintf("environment %s @ %s %s", t.Label, commit.Label, side), Mnemonic: "environment", Label: t.Label,
		Deps: []*engine.Action{commit},
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			var f artifact.CommitFacts
			if err := in.DecodeOutput(commit, artifact.CommitOutput, &f); err != nil {
				return nil, err
			}
			sha := f.SHA(artifact.Side(side))
			lines := append([]engine.Line{engine.L("commit", sha), engine.L("side", side)}, engine.MapLines("env", vars)...)
			return &engine.Work{RuleVersion: 1, Lines: lines,
				Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
					key := "test-" + side + "-" + sha[:12]
					dir := artifact.EnvDir(x.UserCache, key)
					if out, err := exec.CommandContext(ctx, "python3", "-m", "venv", "--without-pip", dir).CombinedOutput(); err != nil {
						return nil, fmt.Errorf("venv: %v: %s", err, out)
					}
					env := artifact.Environment{StoreKey: key, Side: artifact.Side(side), Commit: sha, Env: vars,
						Lock: "lock of " + side, LockDigest: "sha256:" + side}
					data, _ := json.Marshal(env)
					return engine.OK(map[string][]byte{artifact.EnvironmentOutput: data}, nil), nil
				}}, nil
		}}, nil
}

// workspace is a test workspace on disk with its own store and user cache, so that a second
// build replays the first.
type workspace struct {
	t         *testing.T
	dir       string
	cacheDir  string
	userCache string
	// jobs is the build's worker count, 2 unless a test asks for one measurement at a time.
	jobs int
}

func newWorkspace(t *testing.T, files map[string]string) *workspace {
	t.Helper()
	w := &workspace{t: t, dir: t.TempDir(), cacheDir: t.TempDir(), userCache: t.TempDir(), jobs: 2}
	files["isobench.hcl"] = "workspace {\n  name = \"bench\"\n}\n"
	w.write(files)
	return w
}

func (w *workspace) write(files map[string]string) {
	for name, text := range files {
		path := filepath.Join(w.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
}

// build is one build of every benchmark target.
type build struct {
	summary  *engine.Summary
	outcomes map[string]*engine.Visit // by action ID
	logs     map[string]string        // by action ID
	records  map[string]*artifact.Measurement
}

// measure returns the outcome of the benchmark named name.
func (b *build) measure(t *testing.T, name string) (*engine.Visit, *artifact.Measurement, string) {
	t.Helper()
	id := "measure //benchmarks:" + name
	o := b.outcomes[id]
	if o == nil || o.Outcome == nil {
		t.Fatalf("%s did not finish: %+v", id, o)
	}
	return o, b.records[id], b.logs[id]
}

func (w *workspace) build(gpus []int) *build {
	w.t.Helper()
	ws, diags := engine.Load(w.dir, engine.LoadOptions{Kinds: []engine.Kind{Kind{}, commitKind{}, generatorKind{}, envKind{}}})
	if diags.HasErrors() {
		w.t.Fatalf("loading the workspace: %s", diags.Error())
	}
	p := engine.NewPlanner(ws)
	var roots []*engine.Action
	for _, l := range ws.Labels() {
		if ws.Targets[l].Kind == "benchmark" {
			a, err := p.Plan(l)
			if err != nil {
				w.t.Fatalf("planning %s: %v", l, err)
			}
			roots = append(roots, a)
		}
	}
	store, err := cache.Open(w.cacheDir, cache.Options{})
	if err != nil {
		w.t.Fatal(err)
	}
	defer store.Close()
	// A GPU test that imports PyTorch takes seconds a run: leave room for TestRealGPU.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sum, outcomes, err := engine.Run(ctx, roots, engine.Options{Store: store, Workspace: ws, UserCache: w.userCache,
		Jobs: w.jobs, GPUs: gpus, KeepGoing: true, Pools: p.Pools()})
	if err != nil {
		w.t.Fatalf("build: %v", err)
	}
	b := &build{summary: sum, outcomes: map[string]*engine.Visit{}, logs: map[string]string{}, records: map[string]*artifact.Measurement{}}
	for a, o := range outcomes {
		b.outcomes[a.ID] = o
		if a.Mnemonic != "measure" || o.Outcome == nil {
			continue
		}
		if o.Outcome.Log != "" {
			if log, err := store.Get(o.Outcome.Log); err == nil {
				b.logs[a.ID] = string(log)
			}
		}
		// The record: the output when the measurement completed, the Meta when it failed.
		rec := &artifact.Measurement{}
		raw := []byte(o.Outcome.Meta)
		if d, ok := o.Outcome.Outputs[artifact.MeasurementOutput]; ok {
			if raw, err = store.Get(d); err != nil {
				w.t.Fatal(err)
			}
		}
		if len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, rec); err != nil {
				w.t.Fatalf("%s: %v in %s", a.ID, err, raw)
			}
			b.records[a.ID] = rec
		}
	}
	return b
}

// useProber puts p in place of the machine's prober for one test.
func useProber(t *testing.T, p *hardware.Prober) {
	old := probe
	probe = func() *hardware.Prober { return p }
	t.Cleanup(func() { probe = old })
}

// quote writes s as an HCL string literal, for scripts written into BUILD files: JSON's
// escapes are HCL's, and template sequences are doubled so they stay literal.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(string(b))
}
