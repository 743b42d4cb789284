package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Command is a child process an action runs: a test, an installer, git. It always runs in
// its own process group, so a timeout or Ctrl-C kills it with every child it started.
type Command struct {
	Path    string
	Args    []string
	Dir     string
	Env     []string // the whole environment; nil means the parent's
	Stdin   io.Reader
	Timeout time.Duration // 0 for none
	// Log, when set, receives stdout and stderr as they come: their first MaxOutput bytes
	// together, then a note that the rest was not logged. It need not be safe for concurrent
	// use.
	Log io.Writer
	// MaxOutput caps what is logged and what is kept of each stream: the tail is kept, since
	// the end of a failing command's output says why it failed. Default 1 MiB.
	MaxOutput int
	// Sandbox, when set, isolates the command (sandbox.go): untrusted code gets one.
	Sandbox *Sandbox
	// Mask lists secret values the command was given: each occurrence in what is logged and
	// kept of its output reads *** instead.
	Mask []string
}

// ProcessResult is how a command ended.
type ProcessResult struct {
	ExitCode int // -1 when killed by a signal
	TimedOut bool
	Canceled bool
	Stdout   []byte // tail, at most MaxOutput
	Stderr   []byte
	Duration time.Duration
	// Isolation is how the command was isolated: IsolationNamespaces when its Sandbox was
	// set up, IsolationProcessGroup otherwise.
	Isolation Isolation
}

// Output is stdout followed by stderr.
func (r *ProcessResult) Output() []byte { return append(append([]byte{}, r.Stdout...), r.Stderr...) }

// RunCommand runs c to completion. The error is set only when the process could not start.
func RunCommand(ctx context.Context, c Command) (*ProcessResult, error) {
	isolation := IsolationProcessGroup
	var cmd *exec.Cmd
	var sandbox *sandboxProcess
	if c.Sandbox != nil {
		if iso, _ := SandboxIsolation(); iso == IsolationNamespaces {
			var err error
			if cmd, sandbox, err = sandboxCommand(c); err != nil {
				return nil, err
			}
			isolation = iso
		} else {
			protectEnviron()
		}
	}
	if cmd == nil {
		cmd = exec.Command(c.Path, c.Args...)
		cmd.Dir, cmd.Env = c.Dir, c.Env
		cmd.SysProcAttr = groupSysProcAttr()
	}
	cmd.Stdin = c.Stdin
	// Stdin copying, when Stdin is not a file, must not hold Wait up forever either.
	cmd.WaitDelay = 2 * time.Second

	// The output pipes are ours, not exec's: exec's Wait waits until every process holding
	// the write end has exited, and a background child of the test (a server it started)
	// would hold Wait, and the kill of the group that comes after it, for WaitDelay. With our
	// own pipes Wait returns when the leader exits, the group is killed at once, and the
	// copiers then read to EOF.
	outputs, err := newProcessOutput(c.Log, c.Mask, c.MaxOutput)
	if err != nil {
		if sandbox != nil {
			sandbox.abandon()
		}
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = outputs.outW, outputs.errW

	start := time.Now()
	err = cmd.Start()
	outputs.started(err) // the child has its own copies
	if err != nil {
		if sandbox != nil {
			sandbox.abandon()
		}
		return nil, err
	}
	if sandbox != nil {
		if err := sandbox.started(); err != nil {
			killGroup(cmd.Process.Pid)
		}
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	res := &ProcessResult{Isolation: isolation}
	err = awaitEnd(ctx, c.Timeout, waited, func() { killGroup(cmd.Process.Pid) }, res)
	// The group may hold children still running after the leader exited (a test that forks):
	// they never outlive their run.
	killGroup(cmd.Process.Pid)
	// Every writer in the group is dead, so the copies reach EOF soon.
	res.Stdout, res.Stderr = outputs.finish()
	res.Duration = time.Since(start)
	res.ExitCode = cmd.ProcessState.ExitCode()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) && !errors.Is(err, exec.ErrWaitDelay) {
		if sandbox != nil {
			sandbox.wait()
		}
		return res, err
	}
	if sandbox != nil {
		// The helper's own exit says nothing: the command's status is what it reported.
		st, err := sandbox.wait()
		if err != nil {
			return res, err
		}
		if st != nil {
			res.ExitCode = st.Exit
			if st.Nanos > 0 {
				res.Duration = time.Duration(st.Nanos)
			}
		} else {
			res.ExitCode = -1 // killed: a timeout, a cancellation, or the helper's death
		}
	}
	return res, nil
}

// outputGrace bounds how long output is read after the process group was killed. Only a
// child that moved to another process group can keep a pipe open that long.
const outputGrace = 2 * time.Second

// killGroup sends SIGKILL to a whole process group.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }

// cappedLog copies the first `left` bytes of a command's output, stdout and stderr together,
// to w, then notes once that the rest was not logged. Its mutex also keeps the two copiers
// from writing to w at the same time: w need not be safe for concurrent use.
type cappedLog struct {
	mu    sync.Mutex
	w     io.Writer
	left  int
	noted bool
}

// flush writes what a masking writer held back, once the output has ended.
func (l *cappedLog) flush() {
	if m, ok := l.w.(*maskingWriter); ok {
		l.mu.Lock()
		defer l.mu.Unlock()
		m.flush()
	}
}

func (l *cappedLog) write(p []byte) {
	if l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	n := min(len(p), l.left)
	l.w.Write(p[:n])
	l.left -= n
	if n < len(p) && !l.noted {
		l.noted = true
		fmt.Fprintf(l.w, "\n[isobench: the output goes on beyond this point; it was not logged]\n")
	}
}

// tailBuffer keeps the last max bytes written, and copies what it is given to log. It lets
// its slice grow to twice max before sliding the tail to the front, so each byte is copied
// a bounded number of times however much a command prints.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
	log *cappedLog
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.log.write(p)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		over := len(t.buf) - t.max
		t.buf = t.buf[:copy(t.buf, t.buf[over:])]
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	keep := t.buf[max(0, len(t.buf)-t.max):]
	return append([]byte{}, keep...)
}

// MinimalEnv is the environment untrusted code runs with: a PATH, a HOME and a locale, and
// nothing from the user's environment (no API keys, no tokens), plus extra.
func MinimalEnv(home string, extra map[string]string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"LANG=C.UTF-8",
		"PYTHONDONTWRITEBYTECODE=1",
		"PYTHONUNBUFFERED=1",
	}
	for _, k := range sortedKeys(extra) {
		env = append(env, k+"="+extra[k])
	}
	return env
}

// processOutput is where a process's stdout and stderr go: a pipe each, read into a tail each
// of at most max bytes (1 MiB when max is not positive), and a log of their first max bytes
// together, masked.
type processOutput struct {
	mask           []string
	log            *cappedLog
	stdout, stderr *tailBuffer
	outR, errR     *os.File
	outW, errW     *os.File // the process's ends, given to it when it starts
	copiers        sync.WaitGroup
}

func newProcessOutput(log io.Writer, mask []string, max int) (*processOutput, error) {
	if max <= 0 {
		max = 1 << 20
	}
	o := &processOutput{mask: mask, log: &cappedLog{w: newMaskingWriter(log, mask), left: max}}
	o.stdout = &tailBuffer{max: max, log: o.log}
	o.stderr = &tailBuffer{max: max, log: o.log}
	var err error
	if o.outR, o.outW, err = os.Pipe(); err != nil {
		return nil, err
	}
	if o.errR, o.errW, err = os.Pipe(); err != nil {
		o.outR.Close()
		o.outW.Close()
		return nil, err
	}
	return o, nil
}

// started closes the process's ends of the pipes, which it now holds copies of, and reads
// its output until finish. With startErr set the process never started: the pipes are
// closed and nothing is read.
func (o *processOutput) started(startErr error) {
	o.outW.Close()
	o.errW.Close()
	if startErr != nil {
		o.outR.Close()
		o.errR.Close()
		return
	}
	for _, p := range []struct {
		r *os.File
		w io.Writer
	}{{o.outR, o.stdout}, {o.errR, o.stderr}} {
		o.copiers.Add(1)
		go func() {
			defer o.copiers.Done()
			io.Copy(p.w, p.r) // ends at EOF, or when the read end is closed in finish
		}()
	}
}

// finish waits for the copies to reach EOF, closes the pipes, flushes the log and returns the
// tails of stdout and stderr, masked. A child that escaped its process's group (setsid) may
// still hold a pipe open: reading stops after outputGrace.
func (o *processOutput) finish() (stdout, stderr []byte) {
	copied := make(chan struct{})
	go func() { o.copiers.Wait(); close(copied) }()
	select {
	case <-copied:
	case <-time.After(outputGrace):
		o.outR.Close()
		o.errR.Close()
		<-copied
	}
	o.outR.Close()
	o.errR.Close()
	o.log.flush()
	return Masked(o.stdout.Bytes(), o.mask), Masked(o.stderr.Bytes(), o.mask)
}

// awaitEnd waits for a process's end, reported on waited. When timeout (if set) passes or ctx
// is done first, it notes which in res, kills the process and still waits for its end.
func awaitEnd[T any](ctx context.Context, timeout time.Duration, waited <-chan T, kill func(), res *ProcessResult) T {
	var expired <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		expired = timer.C
	}
	select {
	case v := <-waited:
		return v
	case <-expired:
		res.TimedOut = true
	case <-ctx.Done():
		res.Canceled = true
	}
	kill()
	return <-waited
}
