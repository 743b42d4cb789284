package engine

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/isobench/isobench/cache"
)

// The crash-resume test runs a build in a child process (this test binary, re-executed to run
// TestHelperProcess), kills it with SIGKILL halfway, and builds again in the parent: every
// result the child finished must be in the store, so only the rest executes. A result is
// committed to the store as soon as its action finishes, not at the end of the build.

const (
	helperEnv    = "ISOBENCH_TEST_HELPER"
	helperDirEnv = "ISOBENCH_TEST_HELPER_DIR"
	crashSteps   = 6
	crashSleep   = 300 * time.Millisecond
)

// crashBuild is the build both processes run: a chain s1 -> s2 -> ... -> s6, each sleeping
// and then appending its ID to ran.txt. One worker, so the order is the chain's.
func crashBuild(store *cache.Store, dir string) (*Summary, error) {
	ranFile := filepath.Join(dir, "ran.txt")
	var prev *Action
	for i := 1; i <= crashSteps; i++ {
		id := fmt.Sprintf("s%d", i)
		a := &Action{ID: id, Mnemonic: "test", Label: Label{Pkg: "crash", Name: id}}
		dep := prev
		if dep != nil {
			a.Deps = []*Action{dep}
		}
		a.Prepare = func(ctx context.Context, in *Inputs) (*Work, error) {
			lines := []Line{L("step", id)}
			if dep != nil {
				lines = append(lines, L("input", in.OutputDigest(dep, "out")))
			}
			return &Work{Lines: lines, Run: func(ctx context.Context, x *Exec) (*Result, error) {
				select {
				case <-time.After(crashSleep):
				case <-ctx.Done():
					return Transient("cancelled", "cancelled"), nil
				}
				f, err := os.OpenFile(ranFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
				if err != nil {
					return nil, err
				}
				defer f.Close()
				if _, err := fmt.Fprintln(f, id); err != nil {
					return nil, err
				}
				return OK(map[string][]byte{"out": []byte(id)}, nil), nil
			}}, nil
		}
		prev = a
	}
	sum, _, err := Run(context.Background(), []*Action{prev}, Options{Store: store, Workspace: &Workspace{Root: dir}, Jobs: 1})
	return sum, err
}

// TestHelperProcess is the child's side; it does nothing in a normal test run.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "crash" {
		t.Skip("runs only as the child of TestCrashResume")
	}
	dir := os.Getenv(helperDirEnv)
	store, err := cache.Open(filepath.Join(dir, "cache"), cache.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	crashBuild(store, dir) // killed before it returns
	os.Exit(4)
}

func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process and waits for it")
	}
	dir := t.TempDir()
	ranFile := filepath.Join(dir, "ran.txt")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=crash", helperDirEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Wait for the third step to finish, then kill the child halfway through the fourth's
	// sleep: well after the third result was committed (milliseconds), well before the fourth
	// could finish.
	deadline := time.After(30 * time.Second)
	for len(ranLines(t, ranFile)) < 3 {
		select {
		case err := <-exited:
			t.Fatalf("the child exited early (%v):\n%s", err, stderr.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("the child did not finish three steps in 30s:\n%s", stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	time.Sleep(crashSleep / 2)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	finished := ranLines(t, ranFile)
	if len(finished) != 3 {
		t.Fatalf("the child finished %v before it was killed, want s1..s3", finished)
	}

	store := openStore(t, filepath.Join(dir, "cache")) // recovers from the kill
	sum, err := crashBuild(store, dir)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Cached != 3 || sum.Executed != crashSteps-3 {
		t.Errorf("the resumed build replayed %d and executed %d; want 3 and %d", sum.Cached, sum.Executed, crashSteps-3)
	}
	all := ranLines(t, ranFile)
	want := []string{"s1", "s2", "s3", "s4", "s5", "s6"}
	if !slices.Equal(all, want) {
		t.Errorf("steps ran as %v, want each once, in order: %v", all, want)
	}
}

func ranLines(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}
