package environment

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/ruletest"
)

func TestDecodeReportsMistakesWithRanges(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t, "", map[string]string{"envs/BUILD.hcl": `
environment "ok" {
  python          = ["3.12", "3.11"]
  packages        = ["vllm", "numpy<2"]
  extra_index_url = "https://wheels.vllm.ai/${commit.sha}"
  torch_backend   = "auto"
  check           = "import vllm"
  fallback        = "source"
  wheel_url       = "https://wheels.vllm.ai/${commit.sha}/vllm-1.0.0.dev-cp38-abi3-manylinux1_x86_64.whl"
  resolve_as_of   = commit.date
  python_install  = true
  override {
    commits  = ["2f192835"]
    packages = ["transformers==4.44.2"]
  }
}

environment "eras" {
  installer      = "pip"
  packages       = ["toy"]
  wheel_url      = ["https://example.org/toy/", "ftp://example.org/toy-1.0-py3-none-any.whl"]
  resolve_as_of  = "last tuesday"
  python_install = true
}

environment "bad" {
  python     = 3.10
  installer  = "pip"
  packages   = ["--pre", "vllm"]
  index_url  = "pypi.org/simple"
  torch_backend = "cu126"
  install    = "pythonpath"
  fallback   = "source"
  pythonpath = ["../outside"]
  override {
    commits = ["main"]
  }
}

environment "empty" {
  install = "wheel"
}

environment "mixed" {
  python   = ["3.11", 3.12]
  packages = ["toy"]
}

environment "hasty" {
  packages = ["toy"]
  timeout  = "0s"
}
`})
	diags := w.Diagnostics()
	text := allDiags(diags)
	for _, want := range []string{
		`(unquoted, 3.10 would be the number 3.1)`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, text)
		}
	}
	// python = 3.10 stops the other checks of that target; check them without it.
	w.Write(map[string]string{"envs/BUILD.hcl": strings.Replace(mustRead(t, w.Dir+"/envs/BUILD.hcl"), "python     = 3.10\n", "", 1)})
	diags = w.Diagnostics()
	text = allDiags(diags)
	for _, want := range []string{
		`"--pre" is an installer option`,
		`"pypi.org/simple" is not an index URL`,
		`torch_backend is an option of uv`,
		`fallback = "source" applies when install = "wheel"`,
		`"../outside" must be a path inside the commit's tree`,
		`"main" is not a commit SHA`,
		`An environment that installs wheels needs packages`,
		`Invalid value for python`, // the mixed list of versions
		`timeout must be a positive duration`,
		`"https://example.org/toy/" does not end in a wheel's file name`,
		`"ftp://example.org/toy-1.0-py3-none-any.whl" is not a URL`,
		`resolve_as_of = "last tuesday" is not a date`,
		`python_install asks uv to install Python`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, text)
		}
	}
	for _, d := range diags {
		if d.Subject == nil || d.Subject.Start.Line == 0 || strings.Contains(d.Detail, `"ok"`) {
			t.Errorf("diagnostic without a place, or about the good target: %s", d.Error())
		}
	}
}

func TestDecodeTypes(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t, "", map[string]string{"envs/BUILD.hcl": `
environment "wheel" {
  packages = ["vLLM[audio]>=0.6", "numpy"]
  check    = "import vllm, ${commit.short}"
  override {
    commits = ["a1a1a1a"]
    python  = "3.10"
    env     = { PIN = "1" }
  }
}

environment "tree" {
  python     = ["3.12", "3.11"]
  installer  = "pip"
  install    = "pythonpath"
  pythonpath = ["src"]
  timeout    = "30m"
}
`})
	ws, _ := w.Load()
	wheel := ws.Targets[ruletest.Label("//envs:wheel")].Config.(*Config)
	if wheel.Install != InstallWheel || wheel.Fallback != FallbackNone || wheel.Installer != InstallerDefault ||
		wheel.Project != "vllm" || wheel.Timeout != defaultInstallTimeout || !wheel.NamesPackages ||
		strings.Join(wheel.Python, " ") != "3" || strings.Join(wheel.SourceRequirements, " ") != "requirements.txt" {
		t.Errorf("defaults of //envs:wheel: %+v", wheel)
	}
	if !wheel.Check.IsLate() || wheel.Packages.IsLate() || wheel.IndexURL.IsSet() {
		t.Errorf("//envs:wheel: check late %v, packages late %v, index_url set %v", wheel.Check.IsLate(), wheel.Packages.IsLate(), wheel.IndexURL.IsSet())
	}
	if len(wheel.Overrides) != 1 || wheel.Overrides[0].Commits[0] != "a1a1a1a" || wheel.Overrides[0].Python[0] != "3.10" ||
		wheel.Overrides[0].Env["PIN"] != "1" || wheel.Overrides[0].Packages != nil {
		t.Errorf("override of //envs:wheel: %+v", wheel.Overrides)
	}
	tree := ws.Targets[ruletest.Label("//envs:tree")].Config.(*Config)
	if tree.Install != InstallPythonpath || tree.Installer != InstallerPip || tree.Timeout != 30*time.Minute ||
		tree.NamesPackages || tree.Project != "" || strings.Join(tree.Python, " ") != "3.12 3.11" || strings.Join(tree.PythonPath, " ") != "src" {
		t.Errorf("//envs:tree: %+v", tree)
	}
}

func allDiags(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Error() + "\n")
	}
	return b.String()
}

func mustRead(t *testing.T, p string) string {
	data, err := readFileString(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestPerCommitEvaluation(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t, "", map[string]string{
		"envs/pins.txt": "tinydep==1.0\n",
		"envs/BUILD.hcl": `
environment "vllm" {
  packages        = ["vllm[audio]", "numpy"]
  index_url       = "https://mirror.example/simple"
  extra_index_url = ["https://wheels.vllm.ai/${commit.sha}", "https://download.pytorch.org/whl/cu126"]
  constraints     = "pins.txt"
  env             = { VLLM_COMMIT = commit.short }
  override {
    commits  = ["a1a1a1a"]
    packages = ["numpy<2"]
    env      = { EXTRA = "1" }
  }
}
`,
		"commits/BUILD.hcl": commitBlock("c", sha("a1a1a1a"), sha("b2b2b2b"), ""),
	})
	ws, _ := w.Load()
	s := ws.Targets[ruletest.Label("//envs:vllm")].Config.(*Config)
	facts := &artifact.CommitFacts{Head: sha("a1a1a1a"), Base: sha("b2b2b2b")}
	head, err := s.evaluate(facts, artifact.Head, w.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if head.project != "vllm" || len(head.packages) != 3 || head.packages[2].Raw != "numpy<2" || head.env["EXTRA"] != "1" ||
		head.env["VLLM_COMMIT"] != sha("a1a1a1a")[:12] || len(head.cons) != 1 || head.cons[0].Digest == "" {
		t.Errorf("head spec: project %q packages %v env %v constraints %v", head.project, head.packages, head.env, head.cons)
	}
	wantIdx := []string{"https://wheels.vllm.ai/" + sha("a1a1a1a"), "https://download.pytorch.org/whl/cu126", "https://mirror.example/simple"}
	if got := head.indexes(); strings.Join(got, " ") != strings.Join(wantIdx, " ") {
		t.Errorf("indexes %v, want %v", got, wantIdx)
	}
	// The project comes only from the per-commit index; numpy from all of them.
	if got := head.indexesFor(head.packages[0]); len(got) != 2 || got[0] != wantIdx[0] {
		t.Errorf("the project is looked up on %v", got)
	}
	if got := head.indexesFor(head.packages[1]); len(got) != 3 {
		t.Errorf("numpy is looked up on %v", got)
	}
	// The override names the head: it applies to the base side of that commit too.
	base, err := s.evaluate(facts, artifact.Base, w.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(base.overrides) != 1 || !strings.Contains(base.indexes()[0], sha("b2b2b2b")) {
		t.Errorf("base spec: overrides %v indexes %v", base.overrides, base.indexes())
	}
	other, err := s.evaluate(&artifact.CommitFacts{Head: sha("c3c3c3c"), Base: sha("d4")}, artifact.Head, w.Dir, nil)
	if err != nil || len(other.overrides) != 0 || len(other.packages) != 2 {
		t.Errorf("another commit got the override: %v %v", other.overrides, err)
	}
}

func TestPlanning(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t, "", map[string]string{
		"envs/BUILD.hcl":    `environment "e" { packages = ["toy"] }`,
		"commits/BUILD.hcl": commitBlock("c", sha("a8"), sha("b8"), ""),
	})
	plan := w.sides("//envs:e", "//commits:c")
	ws, roots := plan.Workspace, plan.Roots
	if len(roots[1].Deps) != 2 || roots[1].Deps[1].Mnemonic != "resolve" {
		t.Fatalf("the environment does not depend on its preflight: %v", roots[1].Deps)
	}
	// Two benchmarks of one commit share the actions.
	p := engine.NewPlanner(ws)
	c, _ := p.Plan(ruletest.Label("//commits:c"))
	a1, _ := p.PlanFor(ruletest.Label("//envs:e"), c, "head")
	a2, _ := p.PlanFor(ruletest.Label("//envs:e"), c, "head")
	if a1 != a2 {
		t.Errorf("two requests for one side made two actions")
	}
	if _, err := p.PlanFor(ruletest.Label("//envs:e"), c, "middle"); err == nil {
		t.Errorf("a side other than base and head was accepted")
	}
	// The target alone builds nothing and needs no network.
	a, err := Kind{}.Plan(p, ws.Targets[ruletest.Label("//envs:e")])
	if err != nil {
		t.Fatal(err)
	}
	work, err := a.Prepare(context.Background(), &engine.Inputs{})
	if err != nil || work.Done == nil || work.Done.Status != engine.StatusOK {
		t.Fatalf("standalone environment: %+v %v", work, err)
	}
}

func readFileString(p string) (string, error) {
	data, err := os.ReadFile(p)
	return string(data), err
}
