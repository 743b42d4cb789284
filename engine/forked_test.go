package engine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shForker starts sh -c script with the pipes it is given, as a fork server would start a
// child: a real process in a group of its own, started by something other than RunForked.
type shForker struct {
	cmd  *exec.Cmd
	lost bool // Wait reports the forker gone
}

func (f *shForker) start(script string) func(stdout, stderr *os.File) (Forked, error) {
	return func(stdout, stderr *os.File) (Forked, error) {
		f.cmd = exec.Command("sh", "-c", script)
		f.cmd.Stdout, f.cmd.Stderr = stdout, stderr
		f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return f, f.cmd.Start()
	}
}

func (f *shForker) Wait() (int, time.Duration, error) {
	f.cmd.Wait()
	syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL) // as a fork server ends a run's group
	if f.lost {
		return -1, 0, errors.New("the forker is gone")
	}
	return f.cmd.ProcessState.ExitCode(), 7 * time.Millisecond, nil
}

func (f *shForker) Kill() { syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL) }

// TestRunForked: a forked process's output is read, capped and masked as a command's, its
// exit status and duration are the forker's, and a timeout kills it with its children.
func TestRunForked(t *testing.T) {
	f := &shForker{}
	res, err := RunForked(context.Background(), ForkedCommand{Start: f.start(`echo "out s3cret-value"; echo err >&2; exit 3`),
		Mask: []string{"s3cret-value"}, Isolation: IsolationProcessGroup})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || string(res.Stdout) != "out ***\n" || string(res.Stderr) != "err\n" || res.Duration != 7*time.Millisecond ||
		res.Isolation != IsolationProcessGroup {
		t.Errorf("result %+v, stdout %q, stderr %q", res, res.Stdout, res.Stderr)
	}

	f = &shForker{}
	start := time.Now()
	res, err = RunForked(context.Background(), ForkedCommand{Start: f.start(`sleep 600 & echo started; wait`), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.ExitCode != -1 || !strings.Contains(string(res.Stdout), "started") || time.Since(start) > 30*time.Second {
		t.Errorf("timed out %v, exit %d, stdout %q after %s", res.TimedOut, res.ExitCode, res.Stdout, time.Since(start))
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if res, _ := RunForked(ctx, ForkedCommand{Start: (&shForker{}).start("sleep 600")}); !res.Canceled {
		t.Errorf("a cancelled run: %+v", res)
	}

	// A forker lost during the run: the output read so far, and its error.
	f = &shForker{lost: true}
	res, err = RunForked(context.Background(), ForkedCommand{Start: f.start("echo before")})
	if err == nil || res == nil || string(res.Stdout) != "before\n" {
		t.Errorf("a lost forker: %v, %+v", err, res)
	}
	if _, err := RunForked(context.Background(), ForkedCommand{Start: func(_, _ *os.File) (Forked, error) {
		return nil, errors.New("no fork")
	}}); err == nil {
		t.Error("a run that could not start gave no error")
	}
}
