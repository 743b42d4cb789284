package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os/exec"
	"sync"
	"time"
)

// batchProc is one long-lived git process that answers questions on a pipe (catFile,
// diffTree): it starts at the first question, is killed when a question's context ends
// (killing unblocks a read mid-answer), is closed after a failed exchange so that the next
// question starts a fresh one, and closes itself after batchIdle without a question, so a
// build never leaves one behind.
type batchProc struct {
	dir  string
	args []string // git's arguments, the subcommand first

	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr *cappedWriter
	idle   *time.Timer
}

// batchIdle is how long an unused process waits for the next question. Questions of one
// build come in bursts (Prepare of every commit, then Run of the stale ones) milliseconds
// apart; two seconds spans the gaps and ends the process soon after the build.
const batchIdle = 2 * time.Second

// exchange runs talk, which writes to p.stdin and reads p.out, under p's lock with the
// process running. An error from talk ends the process and comes back with what git wrote
// on its stderr, or as ctx's error if ctx ended.
func (p *batchProc) exchange(ctx context.Context, talk func() error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle != nil {
		p.idle.Stop()
	}
	if p.cmd == nil {
		if err := p.start(); err != nil {
			return err
		}
	}
	proc := p.cmd.Process
	stop := context.AfterFunc(ctx, func() { proc.Kill() })
	defer stop()
	if err := talk(); err != nil {
		p.closeLocked()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &gitError{args: p.args, stderr: p.stderr.String(), err: err}
	}
	p.idle = time.AfterFunc(batchIdle, p.close)
	return nil
}

func (p *batchProc) start() error {
	cmd := gitCommand(context.Background(), sealed, p.dir, p.args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	p.stderr = &cappedWriter{buf: &bytes.Buffer{}, max: 64 << 10}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	p.cmd, p.stdin, p.out = cmd, stdin, bufio.NewReaderSize(stdout, 64<<10)
	return nil
}

// close ends the process; the next question starts another.
func (p *batchProc) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
}

func (p *batchProc) closeLocked() {
	if p.idle != nil {
		p.idle.Stop()
		p.idle = nil
	}
	if p.cmd == nil {
		return
	}
	p.stdin.Close() // both cat-file and diff-tree exit at end of input
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	p.cmd, p.stdin, p.out = nil, nil, nil
}

// cappedWriter keeps the first max bytes written to it, for an error message; it is written
// from exec's copying goroutine and read after a failure, hence the lock.
type cappedWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
	max int
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// String is what was kept so far.
func (w *cappedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
