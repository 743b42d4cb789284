package benchmark

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/benchmark/hardware"
	"github.com/isobench/isobench/rules/gitrepo"
	"github.com/isobench/isobench/rules/ruletest"
)

// The kinds below stand in for the generator and environment rules, which live in other
// packages this one must not import (ruletest.Commit stands in for the commit rule). They do
// real work: the environment kind makes a real venv in the env store.

// generatorKind "generates" its `script` for a commit, as the generator rule hands a test on.
type generatorKind struct{}

func (generatorKind) Name() string { return "generator" }
func (generatorKind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{{Name: "script", Type: engine.TypeString, Required: true}}}
}

// Decode keeps the script, the whole of a generator's config.
func (generatorKind) Decode(t *engine.Target) (any, hcl.Diagnostics) {
	return []byte(t.String("script")), nil
}

func (generatorKind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	return &engine.Action{ID: "generator " + t.Label.String(), Mnemonic: "generator", Label: t.Label,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return &engine.Work{Done: engine.OK(nil, nil)}, nil
		}}, nil
}
func (generatorKind) PlanFor(p *engine.Planner, t *engine.Target, commit *engine.Action, side string) (*engine.Action, error) {
	script := t.Config.([]byte)
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
	return &engine.Schema{Attrs: []engine.Attr{{Name: "env", Type: engine.TypeStringMap}, {Name: "cache_dirs", Type: engine.TypeStrings},
		{Name: "install_package", Type: engine.TypeString}}}
}

// envConfig is the whole of a stand-in environment's config.
type envConfig struct {
	vars      map[string]string
	cacheDirs map[string]string // variable -> directory relative to the user's cache
	// pkg, when set, is a directory of the commit copied into the venv's site-packages, as
	// installing a pure-Python wheel of it would lay it out (variant_test.go).
	pkg string
}

func (envKind) Decode(t *engine.Target) (any, hcl.Diagnostics) {
	c := &envConfig{vars: t.StringMap("env"), pkg: t.String("install_package")}
	for _, v := range t.Strings("cache_dirs") {
		if c.cacheDirs == nil {
			c.cacheDirs = map[string]string{}
		}
		c.cacheDirs[v] = "env-caches/" + t.Label.Name + "/" + v
	}
	return c, nil
}

func (envKind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	return &engine.Action{ID: "environment " + t.Label.String(), Mnemonic: "environment", Label: t.Label,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return &engine.Work{Done: engine.OK(nil, nil)}, nil
		}}, nil
}
func (envKind) PlanFor(p *engine.Planner, t *engine.Target, commit *engine.Action, side string) (*engine.Action, error) {
	c := t.Config.(*envConfig)
	vars := c.vars
	return &engine.Action{ID: fmt.Sprintf("environment %s @ %s %s", t.Label, commit.Label, side), Mnemonic: "environment", Label: t.Label,
		Deps: []*engine.Action{commit},
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			var f artifact.CommitFacts
			if err := in.DecodeOutput(commit, artifact.CommitOutput, &f); err != nil {
				return nil, err
			}
			sha := f.SHA(artifact.Side(side))
			lines := append([]engine.Line{engine.L("commit", sha), engine.L("side", side)}, engine.MapLines("env", vars)...)
			if c.pkg != "" {
				lines = append(lines, engine.L("install_package", c.pkg))
			}
			return &engine.Work{RuleVersion: 1, Lines: lines,
				Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
					key := "test-" + side + "-" + sha[:12]
					if c.pkg != "" {
						key += "-" + t.Label.Name
					}
					dir := artifact.EnvDir(x.UserCache, key)
					if out, err := exec.CommandContext(ctx, "python3", "-m", "venv", "--without-pip", dir).CombinedOutput(); err != nil {
						return nil, fmt.Errorf("venv: %v: %s", err, out)
					}
					env := artifact.Environment{StoreKey: key, Side: artifact.Side(side), Commit: sha, Env: vars, CacheDirs: c.cacheDirs,
						Lock: "lock of " + side, LockDigest: "sha256:" + side}
					if c.pkg != "" {
						if err := installPackage(ctx, x, &f, sha, c.pkg, dir); err != nil {
							return nil, err
						}
						env.Spec = &artifact.EnvironmentSpec{Install: "wheel"}
					}
					data, _ := json.Marshal(env)
					return engine.OK(map[string][]byte{artifact.EnvironmentOutput: data}, nil), nil
				}}, nil
		}}, nil
}

// workspace is a ruletest workspace of the benchmark kind and the stand-ins.
type workspace struct {
	*ruletest.Workspace
	// jobs is the build's worker count, 2 unless a test asks for one measurement at a time.
	jobs int
}

func newWorkspace(t *testing.T, files map[string]string) *workspace {
	t.Helper()
	w := &workspace{Workspace: ruletest.New(t, files, Kind{}, ruletest.Commit{}, generatorKind{}, envKind{}), jobs: 2}
	// A GPU test that imports PyTorch takes seconds a run: leave room for TestRealGPU.
	w.Timeout = 3 * time.Minute
	return w
}

// build is one build of every benchmark target, with the measurement record of each measure
// action that left one.
type build struct {
	*ruletest.Build
	records map[string]*artifact.Measurement // by action ID
}

// measure returns the visit, the record and the log of the benchmark named name.
func (b *build) measure(t *testing.T, name string) (*engine.Visit, *artifact.Measurement, string) {
	t.Helper()
	id := "measure //benchmarks:" + name
	v := b.ByID(id)
	if v == nil || v.Outcome == nil {
		t.Fatalf("%s did not finish: %s", id, ruletest.Describe(v))
	}
	return v, b.records[id], b.Logs[id]
}

func (w *workspace) build(gpus []int) *build {
	w.T().Helper()
	b := &build{Build: w.Run(w.PlanKinds("benchmark"), engine.Options{Jobs: w.jobs, GPUs: gpus}),
		records: map[string]*artifact.Measurement{}}
	for a, v := range b.Visits {
		if (a.Mnemonic != "measure" && a.Mnemonic != "variants") || v.Outcome == nil {
			continue
		}
		// The record: the output when the measurement completed, the Meta when it failed.
		raw := []byte(v.Outcome.Meta)
		if _, ok := v.Outcome.Outputs[artifact.MeasurementOutput]; ok {
			raw = w.Output(v, artifact.MeasurementOutput)
		}
		if len(raw) > 0 && string(raw) != "null" {
			rec := &artifact.Measurement{}
			if err := json.Unmarshal(raw, rec); err != nil {
				w.T().Fatalf("%s: %v in %s", a.ID, err, raw)
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

// installPackage installs the directory pkg of the commit into the venv as pip installs a
// pure-Python wheel of it: a wheel is made of the commit's files and pip (the machine's, with
// --python) installs it, byte-compiling it as it does for every wheel.
func installPackage(ctx context.Context, x *engine.Exec, f *artifact.CommitFacts, sha, pkg, venv string) error {
	m, err := gitrepo.ForFacts(x.UserCache, x.Workspace, f)
	if err != nil {
		return err
	}
	tree := filepath.Join(x.TempDir, "install-tree")
	defer os.RemoveAll(tree)
	if err := m.Archive(ctx, sha, tree); err != nil {
		return err
	}
	whl := filepath.Join(x.TempDir, pkg+"-0.0-py3-none-any.whl")
	if err := makeWheel(whl, tree, pkg); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "python3", "-m", "pip", "--python", artifact.PythonIn(venv), "install",
		"--no-index", "--no-deps", "--disable-pip-version-check", "--quiet", whl).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pip install %s: %v: %s", whl, err, out)
	}
	return nil
}

// makeWheel writes a wheel of the directory pkg of tree: its files, METADATA, WHEEL and a
// RECORD with each file's hash, as pip verifies them.
func makeWheel(path, tree, pkg string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	z := zip.NewWriter(out)
	var record strings.Builder
	add := func(name string, data []byte) error {
		w, err := z.Create(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", name, base64.RawURLEncoding.EncodeToString(sum[:]), len(data))
		_, err = w.Write(data)
		return err
	}
	err = filepath.WalkDir(filepath.Join(tree, pkg), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return add(filepath.ToSlash(rel), data)
	})
	if err != nil {
		return err
	}
	info := pkg + "-0.0.dist-info/"
	if err := add(info+"METADATA", []byte("Metadata-Version: 2.1\nName: "+pkg+"\nVersion: 0.0\n")); err != nil {
		return err
	}
	if err := add(info+"WHEEL", []byte("Wheel-Version: 1.0\nGenerator: isobench-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")); err != nil {
		return err
	}
	record.WriteString(info + "RECORD,,\n")
	w, err := z.Create(info + "RECORD")
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(record.String())); err != nil {
		return err
	}
	return z.Close()
}
