package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/isobench/isobench/engine"
)

// executorFlag adds --executor to build. The default is the workspace's choice: an
// `executor "slurm"` block in isobench.hcl sends work to Slurm, no block keeps it here.
func executorFlag(fs *flag.FlagSet) *string {
	return fs.String("executor", "", "where actions run: `NAME` is \"local\", or \"slurm\" (measurements and environment builds as Slurm jobs; see the executor block of isobench.hcl); default: the workspace's executor block, else local")
}

// executor returns the build's executor, or nil to run everything here. It is one of the
// registered executors (executors, and the engine's local): the one --executor names, else
// the one isobench.hcl has a block for.
func (a *app) executor(name string) (engine.Executor, error) {
	if name == "" {
		name = declaredExecutor(a.ws)
	}
	s, ok := a.ws.Executors[name]
	if !ok {
		return nil, usageError{fmt.Sprintf("--executor %q is not an executor; use %s", name, orList(a.ws.ExecutorNames()))}
	}
	vars := map[string]string{}
	for _, v := range a.vars {
		if k, val, ok := strings.Cut(v, "="); ok {
			vars[k] = val
		}
	}
	x, err := s.Kind.New(a.ws, s.Config, vars)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return x, nil
}

// declaredExecutor is the executor isobench.hcl chooses: the first by name, other than local,
// that it has a block for; local when it has none.
func declaredExecutor(ws *engine.Workspace) string {
	for _, name := range ws.ExecutorNames() {
		if name != engine.LocalExecutor && ws.Executors[name].Declared {
			return name
		}
	}
	return engine.LocalExecutor
}

// orList joins names as a sentence offers a choice: "local or slurm".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
