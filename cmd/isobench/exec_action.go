package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/engine/slurm"
)

// cmdExecAction is the node's half of a cluster job: the Slurm executor's batch script runs
// `isobench exec-action DIR` on the job directory it wrote on the shared filesystem. It is
// not meant for people; the job directory holds everything it reads and writes.
func cmdExecAction(a *app, args []string) error {
	fs := a.flags("exec-action", false)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"exec-action takes one job directory"}
	}
	// scancel sends SIGTERM first: the action is cancelled like a local one (its process
	// group killed) and the job still writes a result that says so.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return slurm.ExecAction(ctx, fs.Arg(0), engine.LoadOptions{Kinds: kinds(), Executors: executors()})
}
