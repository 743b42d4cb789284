package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// queueExecutor is a registered executor in miniature: one attribute, decoded once.
type queueExecutor struct{ decoded *int }

type queueConfig struct {
	Queue    string
	Declared bool
}

func (queueExecutor) Name() string { return "queue" }
func (queueExecutor) Schema() *Schema {
	return &Schema{Attrs: []Attr{{Name: "queue", Type: TypeString, NonEmpty: true}}}
}

func (e queueExecutor) Decode(ws *Workspace, b *Body) (any, hcl.Diagnostics) {
	*e.decoded++
	if b == nil {
		return &queueConfig{Queue: "default"}, nil
	}
	return &queueConfig{Queue: b.String("queue"), Declared: true}, nil
}

func (queueExecutor) New(ws *Workspace, config any, vars map[string]string) (Executor, error) {
	return queueRunner{config.(*queueConfig)}, nil
}

type queueRunner struct{ cfg *queueConfig }

func (queueRunner) Accepts(*Action, *Work) bool { return false }
func (queueRunner) Execute(context.Context, *Job) (*Result, error) {
	return nil, nil
}

// TestExecutorBlocksDecodeOnce: a registered executor's block is decoded once at load time
// into its config; one without a block gets its defaults; local is always there.
func TestExecutorBlocksDecodeOnce(t *testing.T) {
	decoded := 0
	opts := LoadOptions{Executors: []ExecutorKind{queueExecutor{&decoded}}}
	root := writeTree(t, map[string]string{"isobench.hcl": `executor "queue" {
  queue = "gpu"
}
`})
	ws := mustLoad(t, root, opts)
	s := ws.Executors["queue"]
	if s == nil || !s.Declared || decoded != 1 {
		t.Fatalf("the queue executor: %+v, decoded %d times", s, decoded)
	}
	if c := s.Config.(*queueConfig); c.Queue != "gpu" || !c.Declared {
		t.Errorf("config %+v, want the block's queue", c)
	}
	x, err := s.Kind.New(ws, s.Config, nil)
	if err != nil || x.(queueRunner).cfg.Queue != "gpu" {
		t.Errorf("New: %v, %v", x, err)
	}
	if got := strings.Join(ws.ExecutorNames(), " "); got != "local queue" {
		t.Errorf("executors %q, want local and queue", got)
	}
	if l := ws.Executors[LocalExecutor]; l == nil || l.Declared {
		t.Errorf("local: %+v", l)
	}

	decoded = 0
	ws = mustLoad(t, writeTree(t, map[string]string{"isobench.hcl": ""}), opts)
	if s := ws.Executors["queue"]; s.Declared || s.Config.(*queueConfig).Queue != "default" || decoded != 1 {
		t.Errorf("without a block: %+v, decoded %d times; want the defaults, decoded once", s, decoded)
	}
}

func TestExecutorBlockDiagnostics(t *testing.T) {
	decoded := 0
	root := writeTree(t, map[string]string{"isobench.hcl": `executor "queue" {
  queue = ""
}

executor "queue" {}

executor "pbs" {}
`})
	_, diags := Load(root, LoadOptions{Executors: []ExecutorKind{queueExecutor{&decoded}}})
	got := renderAll(diags)
	for _, want := range []string{
		"isobench.hcl:2:11: Invalid value for queue: queue must not be empty",
		"isobench.hcl:5:1: Duplicate executor block: isobench.hcl configures the executor \"queue\" twice; keep one block.",
		"isobench.hcl:7:10: Unknown executor: isobench has no executor named \"pbs\"; the executors are local and queue.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics do not say %q:\n%s", want, got)
		}
	}

	// Without registered executors, local is the only one.
	_, diags = Load(writeTree(t, map[string]string{"isobench.hcl": `executor "slurm" {}` + "\n"}), LoadOptions{})
	if got := renderAll(diags); !strings.Contains(got, `no executor named "slurm"; the only executor is local.`) {
		t.Errorf("diagnostics:\n%s", got)
	}
}
