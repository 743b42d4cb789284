package engine

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// chain builds a -> b -> c, each reading the one before.
func chain(b *bench, ids ...string) []*Action {
	var acts []*Action
	for i, id := range ids {
		s := step{id: id}
		if i > 0 {
			s.deps = []*Action{acts[i-1]}
		}
		acts = append(acts, b.action(s))
	}
	return acts
}

func TestSecondBuildExecutesNothing(t *testing.T) {
	b := newBench(t)
	acts := chain(b, "a", "b", "c")
	side := b.action(step{id: "side", deps: []*Action{acts[0]}})
	roots := []*Action{acts[2], side}

	sum, _ := b.build(context.Background(), roots, Options{})
	if sum.Executed != 4 || sum.Cached != 0 || b.runs.total() != 4 {
		t.Fatalf("first build: %+v, runs %v", sum.Counts, b.runs)
	}
	// A new build plans the same actions afresh (as the command does) and finds them all.
	b2 := &bench{t: t, store: b.store, runs: newRunCounter()}
	acts = chain(b2, "a", "b", "c")
	side = b2.action(step{id: "side", deps: []*Action{acts[0]}})
	sum, outcomes := b2.build(context.Background(), []*Action{acts[2], side}, Options{})
	if sum.Executed != 0 || sum.Cached != 4 || b2.runs.total() != 0 {
		t.Errorf("second build: %+v, executed %v", sum.Counts, b2.runs)
	}
	if !outcomes["c"].Outcome.Cached || outcomes["c"].Outcome.Status != StatusOK {
		t.Errorf("c: %+v", outcomes["c"].Outcome)
	}
	out, err := b.store.Get(outcomes["c"].Outcome.Outputs["out"])
	if err != nil || string(out) != "c" {
		t.Errorf("c's output from the cache = %q, %v", out, err)
	}
}

// TestEarlyCutoff: an upstream action executed again (--rerun) that produces the same output
// leaves its dependents cached, because their keys hold its output digest, not its key. When
// the output does change, they execute.
func TestEarlyCutoff(t *testing.T) {
	b := newBench(t)
	output := "same"
	up := b.action(step{id: "up", out: func() string { return output }})
	down := b.action(step{id: "down", deps: []*Action{up}})
	rerunUp := Options{Rerun: []Pattern{mustPattern(t, "//t:up")}}

	b.build(context.Background(), []*Action{down}, Options{})
	sum, _ := b.build(context.Background(), []*Action{down}, rerunUp)
	if b.runs.get("up") != 2 || b.runs.get("down") != 1 {
		t.Fatalf("after a rerun with equal output: up ran %d times, down %d; want 2 and 1", b.runs.get("up"), b.runs.get("down"))
	}
	if sum.Executed != 1 || sum.Cached != 1 {
		t.Errorf("summary %+v, want 1 executed and 1 cached", sum.Counts)
	}
	if ev := b.finishes()["up"]; ev.Reason != "--rerun" || ev.Cached {
		t.Errorf("up's finish event: %+v, want executed with reason --rerun", ev)
	}

	output = "different"
	b.build(context.Background(), []*Action{down}, rerunUp)
	if b.runs.get("down") != 2 {
		t.Errorf("up's output changed but down ran %d times, want 2", b.runs.get("down"))
	}
}

// TestIdenticalKeysExecuteOnce: two actions with different IDs but the same key (the same
// work reached two ways) execute once; the second shares the result.
func TestIdenticalKeysExecuteOnce(t *testing.T) {
	b := newBench(t)
	var running atomic.Int32
	slow := func(ctx context.Context, x *Exec) (*Result, error) {
		running.Add(1)
		time.Sleep(100 * time.Millisecond) // long enough for the other to be prepared meanwhile
		return OK(map[string][]byte{"out": []byte("shared")}, nil), nil
	}
	same := []Line{L("work", "identical")}
	x := b.action(step{id: "x", lines: same, run: slow})
	y := b.action(step{id: "y", lines: same, run: slow})
	sum, outcomes := b.build(context.Background(), []*Action{x, y}, Options{Jobs: 2})
	if running.Load() != 1 {
		t.Fatalf("the shared work executed %d times, want 1", running.Load())
	}
	ox, oy := outcomes["x"], outcomes["y"]
	if ox.Key != oy.Key || ox.Outcome.Outputs["out"] != oy.Outcome.Outputs["out"] || ox.Outcome.Status != StatusOK || oy.Outcome.Status != StatusOK {
		t.Errorf("x: %+v\ny: %+v", ox.Outcome, oy.Outcome)
	}
	if sum.Executed != 1 || sum.Cached != 1 {
		t.Errorf("summary %+v, want 1 executed, 1 cached", sum.Counts)
	}
}

// TestIdenticalKeysShareTransientFailure: when the shared work fails transiently, the second
// action sees that failure too; it is neither lost (no outcome) nor cached.
func TestIdenticalKeysShareTransientFailure(t *testing.T) {
	b := newBench(t)
	flaky := func(ctx context.Context, x *Exec) (*Result, error) {
		time.Sleep(100 * time.Millisecond)
		return Transient("rate_limited", "HTTP 429"), nil
	}
	same := []Line{L("work", "identical")}
	x := b.action(step{id: "x", lines: same, run: flaky})
	y := b.action(step{id: "y", lines: same, run: flaky})
	after := b.action(step{id: "after", deps: []*Action{y}})
	sum, outcomes := b.build(context.Background(), []*Action{x, after}, Options{Jobs: 2, KeepGoing: true})
	for _, id := range []string{"x", "y"} {
		if d := outcomes[id].Outcome; d == nil || d.Status != StatusFailed || d.Class != "rate_limited" {
			t.Errorf("%s: %+v, want failed rate_limited", id, d)
		}
	}
	if ev := b.finishes()["after"]; ev.Status != StatusBlocked || ev.Class != "rate_limited" {
		t.Errorf("after: %+v, want blocked with class rate_limited", ev)
	}
	if sum.NotRun != 0 {
		t.Errorf("NotRun = %d, want 0", sum.NotRun)
	}
	if _, found, _ := b.store.GetEntry(outcomes["x"].Key); found {
		t.Error("a transient failure was cached")
	}
}

// TestMergedIDs: actions with the same ID are one node of the graph, even when two rules each
// built their own copy of a helper and did not register it with Add.
func TestMergedIDs(t *testing.T) {
	b := newBench(t)
	p := NewPlanner(&Workspace{Targets: map[Label]*Target{}})
	helper1 := b.action(step{id: "helper"})
	helper2 := b.action(step{id: "helper"})
	r1 := p.Add(b.action(step{id: "r1", deps: []*Action{helper1}}))
	r2 := p.Add(b.action(step{id: "r2", deps: []*Action{helper2}}))
	if again := p.Add(b.action(step{id: "r1"})); again != r1 {
		t.Error("Add returned a new action for an ID already planned")
	}
	if r1.Deps[0] != r2.Deps[0] {
		t.Fatal("the two copies of the helper were not merged")
	}
	all := Closure([]*Action{r1, r2})
	if len(all) != 3 {
		t.Errorf("closure has %d actions, want 3 (helper, r1, r2)", len(all))
	}
	sum, _ := b.build(context.Background(), []*Action{r1, r2}, Options{})
	if b.runs.get("helper") != 1 || sum.Executed != 3 || sum.Cached != 0 {
		t.Errorf("helper ran %d times; summary %+v", b.runs.get("helper"), sum.Counts)
	}
}

// failureGraph: f fails; g needs f; h needs g; an independent chain x1 -> x2 -> x3.
func failureGraph(b *bench) (roots []*Action) {
	f := b.action(step{id: "f", result: func(x *Exec) *Result {
		return Failed("no_wheel", "no wheel for this commit")
	}})
	g := b.action(step{id: "g", deps: []*Action{f}})
	h := b.action(step{id: "h", deps: []*Action{g}})
	xs := chain(b, "x1", "x2", "x3")
	return []*Action{h, xs[2]}
}

func TestStopAtFirstFailure(t *testing.T) {
	b := newBench(t)
	// One worker and f first in the ready queue: f fails before anything else starts.
	sum, outcomes := b.build(context.Background(), failureGraph(b), Options{Jobs: 1})
	if len(sum.Failures) != 1 || sum.Failures[0].ID != "f" {
		t.Fatalf("failures: %+v", sum.Failures)
	}
	if !sum.Interrupted || sum.NotRun != 5 {
		t.Errorf("Interrupted = %v, NotRun = %d; want true and 5 (g, h, x1, x2, x3)", sum.Interrupted, sum.NotRun)
	}
	if b.runs.total() != 1 || len(outcomes) != 1 {
		t.Errorf("executed %v, outcomes %d; want only f", b.runs, len(outcomes))
	}
}

// TestKeepGoing: the failure is reported once, at its root; what it blocked is reported as
// blocked by the root (not by the blocked action in between), and everything else runs.
func TestKeepGoing(t *testing.T) {
	b := newBench(t)
	sum, outcomes := b.build(context.Background(), failureGraph(b), Options{Jobs: 1, KeepGoing: true})
	if len(sum.Failures) != 1 || sum.Failures[0].ID != "f" || sum.Failures[0].Class != "no_wheel" {
		t.Fatalf("failures: %+v", sum.Failures)
	}
	if sum.Interrupted || sum.NotRun != 0 {
		t.Errorf("Interrupted = %v, NotRun = %d; want false, 0", sum.Interrupted, sum.NotRun)
	}
	if sum.Failed != 1 || sum.Blocked != 2 || sum.Executed != 4 {
		t.Errorf("counts %+v, want 1 failed, 2 blocked, 4 executed (f, x1..x3)", sum.Counts)
	}
	if len(sum.BlockedBy) != 2 {
		t.Fatalf("blocked: %+v", sum.BlockedBy)
	}
	events := b.finishes()
	for _, id := range []string{"g", "h"} {
		ev := events[id]
		if ev.Status != StatusBlocked || ev.BlockedBy != "f" || ev.Class != "no_wheel" {
			t.Errorf("%s: %+v, want blocked by f with class no_wheel", id, ev)
		}
		if want := "blocked by f: no wheel for this commit"; ev.Message != want || outcomes[id].Outcome.Message != want {
			t.Errorf("%s: message %q (outcome %q), want %q", id, ev.Message, outcomes[id].Outcome.Message, want)
		}
	}
	if b.runs.get("g")+b.runs.get("h") != 0 || b.runs.get("x3") != 1 {
		t.Errorf("executed: %v", b.runs)
	}
}

// TestAcceptFailedDeps: an action that accepts failed dependencies runs, and sees a failed
// dependency as failed and one that was blocked as blocked.
func TestAcceptFailedDeps(t *testing.T) {
	b := newBench(t)
	f := b.action(step{id: "f", result: func(x *Exec) *Result { return Failed("install_failed", "pip failed") }})
	g := b.action(step{id: "g", deps: []*Action{f}})
	ok := b.action(step{id: "ok"})
	var seen map[string]*Outcome
	dataset := &Action{ID: "dataset", Mnemonic: "dataset", Deps: []*Action{f, g, ok}, AcceptFailedDeps: true}
	dataset.Prepare = func(ctx context.Context, in *Inputs) (*Work, error) {
		seen = map[string]*Outcome{"f": in.Result(f), "g": in.Result(g), "ok": in.Result(ok)}
		lines := []Line{L("f", in.Result(f).Status), L("g", in.Result(g).Status), L("ok", in.OutputDigest(ok, "out"))}
		return &Work{Lines: lines, Run: func(ctx context.Context, x *Exec) (*Result, error) {
			return OK(map[string][]byte{"records": []byte("1 ok, 2 failed")}, nil), nil
		}}, nil
	}
	sum, outcomes := b.build(context.Background(), []*Action{dataset}, Options{KeepGoing: true})
	if d := outcomes["dataset"].Outcome; d == nil || d.Status != StatusOK {
		t.Fatalf("dataset: %+v", outcomes["dataset"])
	}
	if seen["f"].Status != StatusFailed || seen["f"].Class != "install_failed" {
		t.Errorf("dataset saw f as %+v", seen["f"])
	}
	if seen["g"].Status != StatusBlocked || seen["g"].Class != "install_failed" {
		t.Errorf("dataset saw g as %+v, want blocked (class install_failed)", seen["g"])
	}
	if seen["ok"].Status != StatusOK {
		t.Errorf("dataset saw ok as %+v", seen["ok"])
	}
	if len(sum.Failures) != 1 || len(sum.BlockedBy) != 1 {
		t.Errorf("failures %+v, blocked %+v", sum.Failures, sum.BlockedBy)
	}
}

// TestPassedOnFailure: an action that accepts a failed dependency and fails with it
// (Result.BlockedBy) keeps its result, stored and seen by its dependents as a failure, but the
// build reports it blocked by that dependency, executed and replayed alike, and a dependent
// blocked by it names the dependency as the root.
func TestPassedOnFailure(t *testing.T) {
	b := newBench(t)
	f := b.action(step{id: "f", result: func(x *Exec) *Result { return Failed("base_failed", "the test fails at base") }})
	gather := b.action(step{id: "gather", deps: []*Action{f}, accept: true, result: func(x *Exec) *Result {
		res := Failed("base_failed", "the test fails at base")
		res.Meta, res.BlockedBy = map[string]string{"record": "kept"}, "f"
		return res
	}})
	after := b.action(step{id: "after", deps: []*Action{gather}})
	for i := range 2 {
		sum, outcomes := b.build(context.Background(), []*Action{after}, Options{KeepGoing: true})
		g := outcomes["gather"].Outcome
		if g == nil || g.Status != StatusFailed || g.Class != "base_failed" || g.BlockedBy != "f" || !strings.Contains(string(g.Meta), "kept") {
			t.Fatalf("build %d: gather %+v", i+1, g)
		}
		if sum.Failed != 1 || len(sum.Failures) != 1 || sum.Failures[0].ID != "f" || sum.Blocked != 2 {
			t.Errorf("build %d: %d failed %+v, %d blocked", i+1, sum.Failed, sum.Failures, sum.Blocked)
		}
		for _, e := range sum.BlockedBy {
			if e.BlockedBy != "f" || !strings.HasPrefix(e.Message, "blocked by f: ") {
				t.Errorf("build %d: %s blocked by %q: %s", i+1, e.ID, e.BlockedBy, e.Message)
			}
		}
	}
	if n := b.runs.get("gather"); n != 1 {
		t.Errorf("gather ran %d times, want once: its failure is cached", n)
	}
}

// TestFailureCaching: transient failures are never cached; deterministic failures are, and
// --retry-failed executes them again.
func TestFailureCaching(t *testing.T) {
	b := newBench(t)
	transient := b.action(step{id: "transient", result: func(x *Exec) *Result { return Transient("http_503", "the endpoint said 503") }})
	goErr := b.action(step{id: "goerr", run: func(ctx context.Context, x *Exec) (*Result, error) {
		return nil, errors.New("connection reset")
	}})
	det := b.action(step{id: "det", result: func(x *Exec) *Result { return Failed("base_failed", "the test fails at base") }})
	skip := b.action(step{id: "skip", result: func(x *Exec) *Result { return Skipped("needs 2 GPUs, this machine has 0") }})
	roots := []*Action{transient, goErr, det, skip}

	_, outcomes := b.build(context.Background(), roots, Options{KeepGoing: true})
	if d := outcomes["goerr"].Outcome; d.Status != StatusFailed || !strings.Contains(d.Message, "connection reset") {
		t.Errorf("a Go error from Run: %+v, want a failure naming it", d)
	}
	sum, _ := b.build(context.Background(), roots, Options{KeepGoing: true})
	want := map[string]int{"transient": 2, "goerr": 2, "det": 1, "skip": 1}
	for id, n := range want {
		if got := b.runs.get(id); got != n {
			t.Errorf("after two builds %s ran %d times, want %d", id, got, n)
		}
	}
	if sum.Cached != 0 || sum.Failed != 3 || sum.Skipped != 1 {
		t.Errorf("second build: %+v", sum.Counts)
	}
	if ev := b.finishes()["det"]; !ev.Cached || ev.Class != "base_failed" {
		t.Errorf("det in the second build: %+v, want a cached base_failed", ev)
	}

	b.build(context.Background(), roots, Options{KeepGoing: true, RetryFailed: true})
	if b.runs.get("det") != 2 || b.runs.get("skip") != 1 {
		t.Errorf("with --retry-failed: det ran %d times (want 2), skip %d (want 1: a skip is not a failure)", b.runs.get("det"), b.runs.get("skip"))
	}
	if ev := b.finishes()["det"]; ev.Reason != "--retry-failed" {
		t.Errorf("det's reason: %q", ev.Reason)
	}
}

// TestRerunKeepsHistory: a recorded action executed again keeps the result it replaced.
func TestRerunKeepsHistory(t *testing.T) {
	b := newBench(t)
	n := 0
	gen := b.action(step{id: "generate", out: func() string { n++; return strings.Repeat("v", n) }})
	_, first := b.build(context.Background(), []*Action{gen}, Options{})
	_, second := b.build(context.Background(), []*Action{gen}, Options{Rerun: []Pattern{mustPattern(t, "//t:all")}})
	key := first["generate"].Key
	if second["generate"].Key != key {
		t.Fatal("the key changed between builds")
	}
	hist, err := b.store.History(key)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Outputs["out"] != first["generate"].Outcome.Outputs["out"] {
		t.Fatalf("history: %+v, want the first result", hist)
	}
	cur, _, _ := b.store.GetEntry(key)
	if data, _ := b.store.Get(cur.Outputs["out"]); string(data) != "vv" {
		t.Errorf("current output %q, want the rerun's", data)
	}
}

// TestStillValid: a cached result whose rule says it no longer holds (an environment whose
// directory was removed) executes again.
func TestStillValid(t *testing.T) {
	b := newBench(t)
	valid := true
	env := b.action(step{id: "env", valid: func(d *Outcome) bool {
		if d.Status != StatusOK || d.Outputs["out"] == "" || !d.Cached {
			t.Errorf("StillValid got %+v", d)
		}
		return valid
	}})
	b.build(context.Background(), []*Action{env}, Options{})
	b.build(context.Background(), []*Action{env}, Options{})
	if b.runs.get("env") != 1 {
		t.Fatalf("env ran %d times while valid, want 1", b.runs.get("env"))
	}
	valid = false
	b.build(context.Background(), []*Action{env}, Options{})
	if b.runs.get("env") != 2 {
		t.Errorf("env ran %d times after it became invalid, want 2", b.runs.get("env"))
	}
	if ev := b.finishes()["env"]; !strings.Contains(ev.Reason, "no longer valid") {
		t.Errorf("reason %q", ev.Reason)
	}
}

// TestPrepareAndDone: a Prepare failure fails the action with its class and blocks its users;
// a Work with Done set is stored without running; Counters are summed; DebugKeys sees the
// description; a rule returning a result without a valid status is not cached.
func TestPrepareAndDone(t *testing.T) {
	b := newBench(t)
	bad := &Action{ID: "bad", Mnemonic: "test", Prepare: func(ctx context.Context, in *Inputs) (*Work, error) {
		return nil, Fail("generation_invalid", "the script does not parse")
	}}
	user := b.action(step{id: "user", deps: []*Action{bad}})
	ran := false
	skipped := &Action{ID: "skipped", Mnemonic: "measure", Prepare: func(ctx context.Context, in *Inputs) (*Work, error) {
		return &Work{Lines: []Line{L("requires.gpus", 8)}, Done: Skipped("needs 8 GPUs"),
			Run: func(ctx context.Context, x *Exec) (*Result, error) { ran = true; return nil, nil }}, nil
	}}
	counting := b.action(step{id: "counting", result: func(x *Exec) *Result {
		r := OK(nil, map[string]int{"tokens": 7})
		r.Counters = map[string]int64{"requests": 2, "tokens_in": 100}
		return r
	}})
	noStatus := b.action(step{id: "nostatus", result: func(x *Exec) *Result { return &Result{Outputs: map[string][]byte{"out": nil}} }})
	var keys bytes.Buffer
	sum, outcomes := b.build(context.Background(), []*Action{user, skipped, counting, noStatus}, Options{KeepGoing: true, DebugKeys: &keys})

	if d := outcomes["bad"].Outcome; d.Status != StatusFailed || d.Class != "generation_invalid" {
		t.Errorf("bad: %+v", d)
	}
	if ev := b.finishes()["user"]; ev.Status != StatusBlocked || ev.BlockedBy != "bad" {
		t.Errorf("user: %+v", ev)
	}
	if d := outcomes["skipped"].Outcome; ran || d.Status != StatusSkipped {
		t.Errorf("skipped: ran=%v %+v", ran, d)
	}
	if e, found, _ := b.store.GetEntry(outcomes["skipped"].Key); !found || e.Status != "skipped" {
		t.Errorf("the skipped result was not cached: %+v", e)
	}
	if sum.Counters["requests"] != 2 || sum.Counters["tokens_in"] != 100 {
		t.Errorf("counters %v", sum.Counters)
	}
	if d := outcomes["counting"].Outcome; string(d.Meta) != `{"tokens":7}` {
		t.Errorf("meta %s", d.Meta)
	}
	if d := outcomes["nostatus"].Outcome; d.Status != StatusFailed || !strings.Contains(d.Message, "invalid status") {
		t.Errorf("nostatus: %+v", d)
	}
	if _, found, _ := b.store.GetEntry(outcomes["nostatus"].Key); found {
		t.Error("a result with no status was cached")
	}
	if !strings.Contains(keys.String(), "kind measure\nrule-version 0\nrequires.gpus 8\n") {
		t.Errorf("DebugKeys got:\n%s", keys.String())
	}
}

// TestLogStored: what Run writes to Exec.Log is stored with the result.
func TestLogStored(t *testing.T) {
	b := newBench(t)
	a := b.action(step{id: "logs", result: func(x *Exec) *Result {
		x.Log.Write([]byte("pip install ok\n"))
		return OK(nil, nil)
	}})
	_, outcomes := b.build(context.Background(), []*Action{a}, Options{})
	data, err := b.store.Get(outcomes["logs"].Outcome.Log)
	if err != nil || string(data) != "pip install ok\n" {
		t.Errorf("log %q, %v", data, err)
	}
}
