package engine

import (
	"context"
	"os"
	"time"
)

// A forked process is started by another process rather than by isobench: a fork server's
// child, forked from a process that has already paid for its imports (the benchmark kind's
// preload). RunForked treats its output, its timeout and its cancellation as RunCommand treats
// a command's: the same pipes, read into the same capped and masked tails.

// Forked is a process that another process started for RunForked.
type Forked interface {
	// Wait blocks until the process has ended and returns its exit status (-1 when a signal
	// ended it) and how long it ran, as the process that started it measured. An error means
	// that process is gone and cannot tell.
	Wait() (exit int, ran time.Duration, err error)
	// Kill kills the process and every process it started. It need not wait: Wait returns
	// once they are gone.
	Kill()
}

// ForkedCommand is a run of a forked process.
type ForkedCommand struct {
	// Start asks for the process, with stdout and stderr the write ends of the pipes its
	// output is read from. It hands them on (to a fork server) before it returns; RunForked
	// then closes its own copies, so the output ends when the process and its children do.
	Start func(stdout, stderr *os.File) (Forked, error)
	// Timeout, MaxOutput and Mask are Command's.
	Timeout   time.Duration
	MaxOutput int
	Mask      []string
	// Isolation is how the process that forks it was isolated: the forked process shares
	// its sandbox.
	Isolation Isolation
}

// RunForked runs c to completion. The error is set when the process could not be started, or
// when the process that started it was lost (the result then holds the output read so far).
func RunForked(ctx context.Context, c ForkedCommand) (*ProcessResult, error) {
	outputs, err := newProcessOutput(nil, c.Mask, c.MaxOutput)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	p, err := c.Start(outputs.outW, outputs.errW)
	outputs.started(err) // the process has its own copies
	if err != nil {
		return nil, err
	}
	type ended struct {
		exit int
		ran  time.Duration
		err  error
	}
	waited := make(chan ended, 1)
	go func() {
		exit, ran, err := p.Wait()
		waited <- ended{exit, ran, err}
	}()
	res := &ProcessResult{Isolation: c.Isolation}
	e := awaitEnd(ctx, c.Timeout, waited, p.Kill, res)
	// What the process started is killed with it by the one that forked it.
	res.Stdout, res.Stderr = outputs.finish()
	res.Duration = time.Since(start)
	if e.ran > 0 {
		res.Duration = e.ran
	}
	res.ExitCode = e.exit
	return res, e.err
}
