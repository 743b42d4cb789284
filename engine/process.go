package engine

import (
	"bytes"
	"context"
	"errors"
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
	// Log, when set, receives stdout and stderr as they come (capped at MaxOutput).
	Log io.Writer
	// MaxOutput caps what is kept and logged; the tail is kept. Default 1 MiB.
	MaxOutput int
}

// ProcessResult is how a command ended.
type ProcessResult struct {
	ExitCode int // -1 when killed by a signal
	TimedOut bool
	Canceled bool
	Stdout   []byte // tail, at most MaxOutput
	Stderr   []byte
	Duration time.Duration
}

// Output is stdout followed by stderr.
func (r *ProcessResult) Output() []byte { return append(append([]byte{}, r.Stdout...), r.Stderr...) }

// RunCommand runs c to completion. The error is set only when the process could not start.
func RunCommand(ctx context.Context, c Command) (*ProcessResult, error) {
	if c.MaxOutput <= 0 {
		c.MaxOutput = 1 << 20
	}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Dir, cmd.Env, cmd.Stdin = c.Dir, c.Env, c.Stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout := &tailBuffer{max: c.MaxOutput, log: c.Log}
	stderr := &tailBuffer{max: c.MaxOutput, log: c.Log}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Children that inherit stdout could keep the pipes open after the group is killed; do not
	// wait for them longer than this.
	cmd.WaitDelay = 2 * time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	var timeout <-chan time.Time
	if c.Timeout > 0 {
		timer := time.NewTimer(c.Timeout)
		defer timer.Stop()
		timeout = timer.C
	}
	res := &ProcessResult{}
	var err error
	select {
	case err = <-waited:
	case <-timeout:
		res.TimedOut = true
		killGroup(cmd.Process.Pid)
		err = <-waited
	case <-ctx.Done():
		res.Canceled = true
		killGroup(cmd.Process.Pid)
		err = <-waited
	}
	// The group may hold children still running after the leader exited (a test that forks):
	// they never outlive their run.
	killGroup(cmd.Process.Pid)
	res.Duration = time.Since(start)
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	res.ExitCode = cmd.ProcessState.ExitCode()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) && !errors.Is(err, exec.ErrWaitDelay) {
		return res, err
	}
	return res, nil
}

// killGroup sends SIGKILL to a whole process group.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }

// tailBuffer keeps the last max bytes written, and copies what it keeps to log.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	buf     bytes.Buffer
	dropped int
	log     io.Writer
	logged  int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.log != nil && t.logged < t.max {
		n := min(len(p), t.max-t.logged)
		t.log.Write(p[:n])
		t.logged += n
	}
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.dropped += over
		rest := append([]byte{}, t.buf.Bytes()[over:]...)
		t.buf.Reset()
		t.buf.Write(rest)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte{}, t.buf.Bytes()...)
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
