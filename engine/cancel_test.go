package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestCancelKillsProcessGroup cancels a build while an action runs a shell that started
// `sleep 100` in the background. The whole process group must die, the result of an action
// that finished before must be kept, and the cancelled action must not be cached.
func TestCancelKillsProcessGroup(t *testing.T) {
	b := newBench(t)
	pidFile := filepath.Join(t.TempDir(), "sleep.pid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	quick := b.action(step{id: "quick"})
	slow := b.action(step{id: "slow", run: func(ctx context.Context, x *Exec) (*Result, error) {
		res, err := RunCommand(ctx, Command{Path: "sh", Args: []string{"-c", `sleep 100 & echo $! > "$1"; wait`, "sh", pidFile}})
		if err != nil {
			return nil, err
		}
		if res.Canceled {
			return Failed("test_failed", "the test was killed"), nil // the scheduler must not cache this
		}
		return Failed("unexpected", "the shell exited by itself with %d", res.ExitCode), nil
	}})
	after := b.action(step{id: "after", deps: []*Action{slow}})

	go func() {
		// Cancel once the sleep runs and quick has finished, as a user pressing Ctrl-C.
		for ctx.Err() == nil {
			if pid, _ := readPid(pidFile); pid > 0 {
				if _, done := b.finishes()["quick"]; done {
					cancel()
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	start := time.Now()
	sum, outcomes := b.build(ctx, []*Action{quick, after}, Options{Jobs: 2})
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Fatalf("the build took %s to stop after the cancel", elapsed)
	}

	pid, err := readPid(pidFile)
	if err != nil {
		t.Fatalf("the sleep's pid: %v", err)
	}
	if !eventually(2*time.Second, func() bool { return processGone(pid) }) {
		t.Errorf("the background sleep (pid %d) outlived the cancelled build", pid)
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if !sum.Interrupted || sum.NotRun != 1 {
		t.Errorf("Interrupted = %v, NotRun = %d; want true and 1 (after)", sum.Interrupted, sum.NotRun)
	}
	if d := outcomes["quick"].Outcome; d == nil || d.Status != StatusOK {
		t.Fatalf("quick: %+v", outcomes["quick"])
	}
	if _, found, _ := b.store.GetEntry(outcomes["quick"].Key); !found {
		t.Error("the result of quick, which finished before the cancel, was not kept")
	}
	d := outcomes["slow"].Outcome
	if d == nil || d.Status != StatusFailed || d.Class != "cancelled" {
		t.Errorf("slow: %+v, want a failure of class cancelled", d)
	}
	if _, found, _ := b.store.GetEntry(outcomes["slow"].Key); found {
		t.Error("the cancelled action was cached")
	}
}

func readPid(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// processGone reports whether pid no longer runs. A zombie counts as gone: it has exited,
// and in a container whose init does not reap orphans it may stay a zombie for good.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name: "1234 (sleep) Z ...".
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] == 'Z' || stat[i+2] == 'X'
	}
	return false
}

func eventually(limit time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// occupancy tracks what runs at once, and fails the test when two actions hold one device.
type occupancy struct {
	t       *testing.T
	mu      sync.Mutex
	devices map[int]string // device -> action holding it
	busy    int
	maxBusy int
	gpus    map[string][]int
}

func newOccupancy(t *testing.T) *occupancy {
	return &occupancy{t: t, devices: map[int]string{}, gpus: map[string][]int{}}
}

func (o *occupancy) run(hold time.Duration) func(ctx context.Context, x *Exec) (*Result, error) {
	return func(ctx context.Context, x *Exec) (*Result, error) {
		o.mu.Lock()
		o.busy++
		o.maxBusy = max(o.maxBusy, o.busy)
		o.gpus[x.Action.ID] = x.GPUs
		for _, g := range x.GPUs {
			if other, taken := o.devices[g]; taken {
				o.t.Errorf("%s was given GPU %d while %s held it", x.Action.ID, g, other)
			}
			o.devices[g] = x.Action.ID
		}
		o.mu.Unlock()
		time.Sleep(hold)
		o.mu.Lock()
		o.busy--
		for _, g := range x.GPUs {
			delete(o.devices, g)
		}
		o.mu.Unlock()
		return OK(map[string][]byte{"out": []byte(x.Action.ID)}, nil), nil
	}
}

// TestGPUPool: with GPUs 0 and 1, four measurements needing one GPU each run two at a time,
// never on the same device at once, each told which device it holds.
func TestGPUPool(t *testing.T) {
	b := newBench(t)
	occ := newOccupancy(t)
	var roots []*Action
	for i := range 4 {
		roots = append(roots, b.action(step{id: fmt.Sprintf("m%d", i), needs: Needs{GPUs: 1}, run: occ.run(100 * time.Millisecond)}))
	}
	sum, _ := b.build(context.Background(), roots, Options{Jobs: 4, GPUs: []int{0, 1}})
	if sum.Executed != 4 {
		t.Fatalf("summary %+v", sum.Counts)
	}
	if occ.maxBusy != 2 {
		t.Errorf("%d measurements ran at once, want 2", occ.maxBusy)
	}
	for id, gpus := range occ.gpus {
		if len(gpus) != 1 || (gpus[0] != 0 && gpus[0] != 1) {
			t.Errorf("%s held GPUs %v, want one of 0 and 1", id, gpus)
		}
		if ev := b.finishes()[id]; fmt.Sprint(ev.GPUs) != fmt.Sprint(gpus) {
			t.Errorf("%s's finish event names GPUs %v, it held %v", id, ev.GPUs, gpus)
		}
	}
}

// TestNamedPoolAndCPUSlots: a named pool of size 1 (an LLM endpoint's concurrency) lets one
// action in at a time; a request larger than the machine is trimmed rather than waiting
// forever.
func TestNamedPoolAndCPUSlots(t *testing.T) {
	cases := []struct {
		name  string
		needs Needs
		opt   Options
		want  int // most actions at once
	}{
		{"pool of one", Needs{Pools: map[string]int{"llm": 1}}, Options{Pools: map[string]int{"llm": 1}}, 1},
		{"pool of two", Needs{Pools: map[string]int{"llm": 1}}, Options{Pools: map[string]int{"llm": 2}}, 2},
		{"all CPU slots", Needs{CPU: 2}, Options{CPUSlots: 2}, 1},
		{"more CPUs than exist", Needs{CPU: 64}, Options{CPUSlots: 2}, 1},
		{"more GPUs than exist", Needs{GPUs: 3}, Options{GPUs: []int{0, 1}}, 1},
		{"more than the pool holds", Needs{Pools: map[string]int{"llm": 5}}, Options{Pools: map[string]int{"llm": 2}}, 1},
		{"an undeclared pool", Needs{Pools: map[string]int{"other": 1}}, Options{}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBench(t)
			occ := newOccupancy(t)
			var roots []*Action
			for i := range 3 {
				roots = append(roots, b.action(step{id: fmt.Sprintf("a%d", i), needs: c.needs, run: occ.run(60 * time.Millisecond)}))
			}
			c.opt.Jobs = 3
			sum, _ := b.build(context.Background(), roots, c.opt)
			if sum.Executed != 3 {
				t.Fatalf("summary %+v", sum.Counts)
			}
			if occ.maxBusy != c.want {
				t.Errorf("%d ran at once, want %d", occ.maxBusy, c.want)
			}
		})
	}
}

// TestCancelWhileWaitingForResources: an action still waiting for a GPU when the build is
// cancelled never ran, and the summary counts it so.
func TestCancelWhileWaitingForResources(t *testing.T) {
	b := newBench(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	holding := make(chan struct{})
	holder := b.action(step{id: "holder", needs: Needs{GPUs: 1}, run: func(ctx context.Context, x *Exec) (*Result, error) {
		close(holding)
		<-ctx.Done()
		return Transient("cancelled", "stopped"), nil
	}})
	// The gate makes the waiter ready only once the holder has the GPU.
	gate := b.action(step{id: "gate", run: func(ctx context.Context, x *Exec) (*Result, error) {
		<-holding
		return OK(map[string][]byte{"out": nil}, nil), nil
	}})
	waiter := b.action(step{id: "waiter", deps: []*Action{gate}, needs: Needs{GPUs: 1}})
	go func() {
		<-holding
		time.Sleep(50 * time.Millisecond) // the waiter is prepared and waits for the GPU
		cancel()
	}()
	sum, outcomes := b.build(ctx, []*Action{holder, waiter}, Options{Jobs: 3, GPUs: []int{0}})
	if b.runs.get("waiter") != 0 {
		t.Fatal("the waiter ran although the only GPU was held until the cancel")
	}
	if outcomes["waiter"].Outcome != nil {
		t.Errorf("waiter: %+v, want no result", outcomes["waiter"].Outcome)
	}
	if !sum.Interrupted || sum.NotRun != 1 {
		t.Errorf("Interrupted = %v, NotRun = %d; want true and 1", sum.Interrupted, sum.NotRun)
	}
}
