package engine

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sh runs a shell script through RunCommand; extra arguments become $1, $2, ...
func sh(ctx context.Context, c Command, script string, args ...string) (*ProcessResult, error) {
	c.Path = "sh"
	c.Args = append([]string{"-c", script, "sh"}, args...)
	return RunCommand(ctx, c)
}

func TestRunCommandExitAndStreams(t *testing.T) {
	dir := t.TempDir()
	res, err := sh(context.Background(), Command{Dir: dir, Env: MinimalEnv(dir, map[string]string{"MY_VAR": "v"})},
		`echo "out $MY_VAR $(pwd)"; echo err >&2; echo "key=${OPENAI_API_KEY:-unset}"; exit 3`)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || res.TimedOut || res.Canceled {
		t.Errorf("exit %d, timed out %v, canceled %v; want 3, false, false", res.ExitCode, res.TimedOut, res.Canceled)
	}
	if want := fmt.Sprintf("out v %s\nkey=unset\n", dir); string(res.Stdout) != want {
		t.Errorf("stdout %q, want %q", res.Stdout, want)
	}
	if string(res.Stderr) != "err\n" {
		t.Errorf("stderr %q", res.Stderr)
	}
	if _, err := RunCommand(context.Background(), Command{Path: filepath.Join(dir, "no-such-program")}); err == nil {
		t.Error("a program that does not exist started")
	}
}

// TestMinimalEnvLeaksNoSecrets: untrusted code sees a PATH, a HOME and what the rule adds,
// never the user's environment.
func TestMinimalEnvLeaksNoSecrets(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-secret")
	env := MinimalEnv("/home/test", map[string]string{"CUDA_VISIBLE_DEVICES": "1"})
	joined := strings.Join(env, "\n")
	if strings.Contains(joined, "sk-secret") {
		t.Errorf("the minimal environment holds the API key:\n%s", joined)
	}
	for _, want := range []string{"HOME=/home/test", "CUDA_VISIBLE_DEVICES=1", "PATH="} {
		if !strings.Contains(joined, want) {
			t.Errorf("the minimal environment lacks %s:\n%s", want, joined)
		}
	}
}

// TestRunCommandTimeoutKillsChildren: on timeout the whole process group dies, including a
// child the shell put in the background.
func TestRunCommandTimeoutKillsChildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	res, err := sh(context.Background(), Command{Timeout: 300 * time.Millisecond},
		`sleep 100 & echo $! > "$1"; echo started; wait`, pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.ExitCode != -1 {
		t.Errorf("timed out %v, exit %d; want true, -1", res.TimedOut, res.ExitCode)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %s to time out after 300ms", elapsed)
	}
	if string(res.Stdout) != "started\n" {
		t.Errorf("the output before the timeout was lost: %q", res.Stdout)
	}
	assertGone(t, pidFile)
}

// TestRunCommandLeaderExitKillsChildren: a command that exits leaving a background child
// holding its stdout returns at once, and the child dies with it.
func TestRunCommandLeaderExitKillsChildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	res, err := sh(context.Background(), Command{}, `sleep 100 & echo $! > "$1"; echo bye`, pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || string(res.Stdout) != "bye\n" {
		t.Errorf("exit %d, stdout %q", res.ExitCode, res.Stdout)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("took %s: the background child held the command up", elapsed)
	}
	assertGone(t, pidFile)
}

func TestRunCommandCancel(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res, err := sh(ctx, Command{}, `sleep 100 & echo $! > "$1"; wait`, pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Canceled || res.TimedOut || res.ExitCode != -1 {
		t.Errorf("canceled %v, timed out %v, exit %d", res.Canceled, res.TimedOut, res.ExitCode)
	}
	assertGone(t, pidFile)
}

func assertGone(t *testing.T, pidFile string) {
	t.Helper()
	pid, err := readPid(pidFile)
	if err != nil {
		t.Fatalf("the child's pid: %v", err)
	}
	if !eventually(2*time.Second, func() bool { return processGone(pid) }) {
		t.Errorf("the background child %d is still running", pid)
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// TestRunCommandOutputCap: a command printing far more than MaxOutput keeps the tail of each
// stream (where the reason for a failure is) and logs at most MaxOutput bytes in all, with a
// note that the rest was cut.
func TestRunCommandOutputCap(t *testing.T) {
	const limit = 1000
	var log bytes.Buffer // not safe for concurrent use: RunCommand must serialise its writes
	res, err := sh(context.Background(), Command{MaxOutput: limit, Log: &log},
		`i=0; while [ $i -lt 3000 ]; do echo "line $i"; echo "err $i" >&2; i=$((i+1)); done; echo LAST`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stdout) != limit || !strings.HasSuffix(string(res.Stdout), "line 2999\nLAST\n") {
		t.Errorf("stdout: %d bytes ending %q; want %d ending with the last lines", len(res.Stdout), tail(res.Stdout), limit)
	}
	if len(res.Stderr) != limit || !strings.HasSuffix(string(res.Stderr), "err 2999\n") {
		t.Errorf("stderr: %d bytes ending %q", len(res.Stderr), tail(res.Stderr))
	}
	logged := log.String()
	note := strings.Index(logged, "[isobench:")
	if note < 0 || note > limit+1 || !strings.HasPrefix(logged, "line 0\n") && !strings.HasPrefix(logged, "err 0\n") {
		t.Errorf("log: %d bytes, note at %d, starting %q", len(logged), note, logged[:min(20, len(logged))])
	}
	if strings.Count(logged, "[isobench:") != 1 {
		t.Errorf("the truncation note appears %d times", strings.Count(logged, "[isobench:"))
	}

	// Under the cap nothing is cut or noted.
	log.Reset()
	res, _ = sh(context.Background(), Command{MaxOutput: limit, Log: &log}, `echo short`)
	if string(res.Stdout) != "short\n" || log.String() != "short\n" {
		t.Errorf("stdout %q, log %q", res.Stdout, log.String())
	}
}

func tail(b []byte) string { return string(b[max(0, len(b)-30):]) }

// TestRunCommandLargeOutputIsFast: keeping the tail must not copy the whole buffer on every
// write; 20 MB through a 1 MiB cap takes well under a second of copying.
func TestRunCommandLargeOutputIsFast(t *testing.T) {
	start := time.Now()
	res, err := sh(context.Background(), Command{}, `head -c 20000000 /dev/zero | tr '\0' x; echo END`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stdout) != 1<<20 || !strings.HasSuffix(string(res.Stdout), "xxEND\n") {
		t.Errorf("stdout: %d bytes ending %q", len(res.Stdout), tail(res.Stdout))
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("20 MB of output took %s", elapsed)
	}
}
