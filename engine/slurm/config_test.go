package slurm

import (
	"slices"
	"strings"
	"testing"
	"time"

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
