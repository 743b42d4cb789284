package slurm

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"

	"github.com/isobench/isobench/engine"
)

// ExecutorKind registers the Slurm executor with the loader (engine.LoadOptions.Executors):
// `executor "slurm" { ... }` in isobench.hcl configures it, `--executor slurm` or the block
// alone chooses it.
type ExecutorKind struct{}

var _ engine.ExecutorKind = ExecutorKind{}

// Name is the label of the executor block and the value of --executor.
const Name = "slurm"

func (ExecutorKind) Name() string           { return Name }
func (ExecutorKind) Schema() *engine.Schema { return schema }

// Decode reads the executor block; it runs once, at load time.
func (ExecutorKind) Decode(ws *engine.Workspace, b *engine.Body) (any, hcl.Diagnostics) {
	return decode(ws.Root, b)
}

// New returns the executor of a build: the decoded config with the build's --var values, and
// this executable for the nodes to run unless the block names another.
func (ExecutorKind) New(ws *engine.Workspace, config any, vars map[string]string) (engine.Executor, error) {
	cfg, ok := config.(*Config)
	if !ok || cfg == nil {
		cfg, _ = decode(ws.Root, nil)
	}
	c := *cfg // the workspace's config stays as it was loaded
	c.Vars = vars
	if c.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("cannot find this isobench's path for the nodes to run; set binary in the executor block: %w", err)
		}
		c.Binary = exe
	}
	return New(&c), nil
}
