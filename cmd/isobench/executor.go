package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/engine/slurm"
)

// executorFlag adds --executor to build. The default is the workspace's choice: an
// `executor "slurm"` block in isobench.hcl sends work to Slurm, no block keeps it here.
func executorFlag(fs *flag.FlagSet) *string {
	return fs.String("executor", "", `where actions run: "local", or "slurm" (measurements and environment builds as Slurm jobs; see the executor block of isobench.hcl); default: the workspace's executor block, else local`)
}

// executor returns the build's executor, or nil to run everything here.
func (a *app) executor(name string) (engine.Executor, error) {
	if name == "" {
		if a.ws.Settings.Extra["executor.slurm"] == nil {
			return nil, nil
		}
		name = "slurm"
	}
	switch name {
	case "local":
		return nil, nil
	case "slurm":
		cfg, err := slurm.FromWorkspace(a.ws)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		cfg.Vars = map[string]string{}
		for _, v := range a.vars {
			if k, val, ok := strings.Cut(v, "="); ok {
				cfg.Vars[k] = val
			}
		}
		return slurm.New(cfg), nil
	}
	return nil, usageError{fmt.Sprintf("--executor %q is not an executor; use local or slurm", name)}
}
