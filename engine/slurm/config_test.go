package slurm

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/isobench/isobench/engine"
)

func TestConstraintFromCapability(t *testing.T) {
	c := &Config{Features: map[string]string{"8.0": "a100", "9.0": "h100", "10.0": "b200"}}
	for _, tc := range []struct {
		cc, want string
		ok       bool
	}{
		{"", "", true},
		{"8.0", "a100|h100|b200", true},
		{"9.0", "h100|b200", true},
		{"10.0", "b200", true},
		{"12.0", "", false},
	} {
		got, ok := c.constraint(tc.cc)
		// The order follows the sorted capability strings; compare as sets.
		if ok != tc.ok || !sameSet(got, tc.want) {
			t.Errorf("constraint(%q) = %q, %v; want %q, %v", tc.cc, got, ok, tc.want, tc.ok)
		}
	}
	if got, ok := (&Config{}).constraint("9.0"); got != "" || !ok {
		t.Errorf("without features a capability gives %q, %v; want no constraint", got, ok)
	}
}

func sameSet(a, b string) bool {
	x, y := strings.Split(a, "|"), strings.Split(b, "|")
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func TestSbatchArgsFromWork(t *testing.T) {
	e := New(&Config{Partition: "gpu", Account: "perf", Features: map[string]string{"9.0": "sm90"}, GPUFlag: "gres",
		TimeLimit: time.Hour, MaxJobs: 1, SbatchArgs: []string{"--exclusive"}})
	w := &engine.Work{Lines: []engine.Line{
		engine.L("samples", 10), engine.L("warmup", 1), engine.L("timeout", 2*time.Minute),
		engine.L("requires.gpus", 2), engine.L("requires.compute_capability", "9.0"),
	}}
	args, refused := e.sbatchArgs(&engine.Job{Action: &engine.Action{Mnemonic: "measure"}, Work: w})
	if refused != nil {
		t.Fatalf("refused: %s", refused.Message)
	}
	// 2 sides x 11 runs x 2m + 10m to set up = 54m.
	for _, want := range []string{"--partition=gpu", "--account=perf", "--gres=gpu:2", "--constraint=sm90", "--time=54", "--exclusive"} {
		if !slices.Contains(args, want) {
			t.Errorf("sbatch args %v lack %s", args, want)
		}
	}
	w.Lines = append(w.Lines[:3], engine.L("requires.gpus", 1), engine.L("requires.compute_capability", "10.0"))
	if _, refused := e.sbatchArgs(&engine.Job{Action: &engine.Action{ID: "m", Mnemonic: "measure"}, Work: w}); refused == nil || refused.Class != "unschedulable" {
		t.Errorf("a capability no feature meets was not refused: %+v", refused)
	}
	args, _ = e.sbatchArgs(&engine.Job{Action: &engine.Action{Mnemonic: "environment"}, Work: &engine.Work{}})
	if !slices.Contains(args, "--time=60") || slices.ContainsFunc(args, func(s string) bool { return strings.HasPrefix(s, "--gres") }) {
		t.Errorf("an environment build's args %v: want the configured time limit and no GPU", args)
	}
}

func TestCheckDescriptionLetsOnlyHardwareDiffer(t *testing.T) {
	want := "kind measure\nhead abc\nhardware.gpu_model H100\n"
	if err := engine.CheckDescription(want, "kind measure\nhead abc\nhardware.gpu_model A100\n"); err != nil {
		t.Errorf("a different node's hardware was refused: %v", err)
	}
	err := engine.CheckDescription(want, "kind measure\nhead def\nhardware.gpu_model H100\n")
	if err == nil || !strings.Contains(err.Error(), "the workspace changed under the job") || !strings.Contains(err.Error(), "head def") {
		t.Errorf("a changed input gives %v", err)
	}
}

func loadSlurm(t *testing.T, block string) (*engine.Workspace, hcl.Diagnostics) {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "isobench.hcl"), []byte(block), 0o644); err != nil {
		t.Fatal(err)
	}
	return engine.Load(root, engine.LoadOptions{Executors: []engine.ExecutorKind{ExecutorKind{}}})
}

func TestDecodeExecutorBlock(t *testing.T) {
	ws, diags := loadSlurm(t, `executor "slurm" {
  partition     = "gpu"
  poll_interval = "2s"
  max_jobs      = 4
  kinds         = ["measure"]
  workdir       = "jobs"
  features      = { "9.0" = "sm90" }
  gpu_flag      = "gres"
  retries       = 0
}
`)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	s := ws.Executors[Name]
	c := s.Config.(*Config)
	if !s.Declared || c.Partition != "gpu" || c.Poll != 2*time.Second || c.MaxJobs != 4 || !slices.Equal(c.Mnemonics, []string{"measure"}) ||
		c.Workdir != filepath.Join(ws.Root, "jobs") || c.Features["9.0"] != "sm90" || c.GPUFlag != GPUFlagGRES || c.Retries != 0 ||
		c.TimeLimit != DefaultTimeLimit {
		t.Errorf("decoded %+v", c)
	}
	x, err := s.Kind.New(ws, s.Config, map[string]string{"model": "o3"})
	if err != nil {
		t.Fatal(err)
	}
	if e := x.(*Executor); e.cfg.Binary == "" || e.cfg.Vars["model"] != "o3" || c.Binary != "" || c.Vars != nil {
		t.Errorf("New gives %+v from %+v: want this binary and the vars, the workspace's config untouched", e.cfg, c)
	}

	ws, diags = loadSlurm(t, "")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if s := ws.Executors[Name]; s.Declared || s.Config.(*Config).Workdir != filepath.Join(ws.Root, ".isobench-slurm") || s.Config.(*Config).MaxJobs != DefaultMaxJobs {
		t.Errorf("without a block: %+v", s.Config)
	}
}

func TestDecodeExecutorBlockDiagnostics(t *testing.T) {
	_, diags := loadSlurm(t, `executor "slurm" {
  max_jobs      = 1.5
  poll_interval = "0s"
  retries       = -1
  features      = { "nine" = "sm90" }
}

executor "local" {}
`)
	_, more := loadSlurm(t, `executor "slurm" {
  gpu_flag = "pci"
}
`)
	var got []string
	for _, d := range append(diags, more...) {
		got = append(got, d.Summary+": "+d.Detail)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"max_jobs must be a whole number, but it is 1.5.",
		`poll_interval must be a positive duration such as "10m", but it is "0s".`,
		"retries must be at least 0, but it is -1.",
		`Invalid compute capability: The slurm executor's features map "nine", which is not a compute capability like "9.0".`,
		`"pci" is not one of "gpus", "gres".`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("diagnostics do not say %q:\n%s", want, all)
		}
	}
}
