package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/cache/remotetest"
)

// machine is one machine of a shared-cache story: a bench with its own store (a fresh cache
// directory) and its own client of the shared server, whose warnings the test reads.
type machine struct {
	*bench
	remote *cache.Remote

	mu       sync.Mutex
	warnings []string
}

func newMachine(t *testing.T, url string) *machine {
	t.Helper()
	m := &machine{bench: newBench(t)}
	r, err := cache.NewRemote(cache.RemoteOptions{URL: url, Warn: func(msg string) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.warnings = append(m.warnings, msg)
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.remote = r
	return m
}

func (m *machine) build(roots []*Action) (*Summary, map[string]*Visit) {
	m.t.Helper()
	return m.bench.build(context.Background(), roots, Options{Remote: m.remote})
}

func (m *machine) warned() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.warnings)
}

// randomOut stands for a recorded result (an LLM's answer, a measurement): executing it
// again would give different bytes, so identical bytes on the second machine prove that it
// replayed the first machine's result.
func randomOut() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// pipeline plans, on machine m, the shape of a benchmark dataset: commit facts; a generated
// test (it needs an API key) and an environment; a measurement of both (it needs a GPU); a
// GPU check that is skipped; and a dataset that records them all. salt keeps the keys of
// different tests apart.
func pipeline(m *machine, salt string, recorded func() string) (roots []*Action) {
	lines := func(id string) []Line { return []Line{L("step", id), L("test", salt)} }
	facts := m.action(step{id: "facts", lines: lines("facts")})
	gen := m.action(step{id: "generate", lines: lines("generate"), deps: []*Action{facts},
		run: func(ctx context.Context, x *Exec) (*Result, error) {
			fmt.Fprintln(x.Log, "asked the model; it answered")
			return OK(map[string][]byte{"out": []byte("script " + recorded())}, map[string]int{"tokens": 42}), nil
		}})
	env := m.action(step{id: "environment", lines: lines("environment"), deps: []*Action{facts}})
	measure := m.action(step{id: "measure", lines: lines("measure"), deps: []*Action{gen, env},
		out: func() string { return "timings " + recorded() }})
	gpu := m.action(step{id: "gpu-check", lines: lines("gpu-check"),
		result: func(x *Exec) *Result { return Skipped("this machine has no GPU") }})
	dataset := m.action(step{id: "dataset", lines: lines("dataset"), deps: []*Action{measure, gpu}, accept: true,
		out: func() string { return "records " + recorded() }})
	return []*Action{dataset}
}

// TestRemoteSecondMachineExecutesNothing is the story the remote cache serves: a second
// machine, with a fresh cache directory and neither API key nor GPU, builds what another
// built, executes no action, and ends with the same bytes.
func TestRemoteSecondMachineExecutesNothing(t *testing.T) {
	srv := remotetest.Start(t)
	a := newMachine(t, srv.URL)
	sumA, outA := a.build(pipeline(a, t.Name(), randomOut))
	if sumA.Executed != 6 || sumA.Failed != 0 || len(sumA.Counters) != 0 {
		t.Fatalf("first machine: %+v, counters %v", sumA.Counts, sumA.Counters)
	}

	b := newMachine(t, srv.URL)
	sumB, outB := b.build(pipeline(b, t.Name(), randomOut))
	if sumB.Executed != 0 || b.runs.total() != 0 || sumB.Cached != 5 || sumB.Skipped != 1 {
		t.Errorf("second machine: %+v, executed %v; want nothing executed", sumB.Counts, b.runs.counts)
	}
	if got := sumB.Counters[remoteHitsCounter]; got != 6 {
		t.Errorf("second machine: %d results from the remote, want 6", got)
	}
	for id, oa := range outA {
		ob := outB[id]
		if ob == nil || ob.Outcome == nil || ob.Key != oa.Key || ob.Outcome.Status != oa.Outcome.Status || !ob.Outcome.Cached {
			t.Errorf("%s on the second machine: %+v; want the first machine's cached result", id, ob)
			continue
		}
		for name, d := range oa.Outcome.Outputs {
			want, _ := a.store.Get(d)
			got, err := b.store.Get(ob.Outcome.Outputs[name])
			if err != nil || string(got) != string(want) {
				t.Errorf("%s output %q on the second machine: %q, %v; want %q", id, name, got, err, want)
			}
		}
		if string(ob.Outcome.Meta) != string(oa.Outcome.Meta) || ob.Outcome.Log != oa.Outcome.Log {
			t.Errorf("%s: meta %s and log %s on the second machine, want %s and %s", id, ob.Outcome.Meta, ob.Outcome.Log, oa.Outcome.Meta, oa.Outcome.Log)
		}
	}
	if log, err := b.store.Get(outB["generate"].Outcome.Log); err != nil || !strings.Contains(string(log), "it answered") {
		t.Errorf("generate's log on the second machine: %q, %v", log, err)
	}
	if w := append(a.warned(), b.warned()...); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}

	// What was downloaded is now local: the next build needs no server.
	srv.Stop()
	sumB, _ = b.build(pipeline(b, t.Name(), randomOut))
	if sumB.Executed != 0 || sumB.Counters[remoteHitsCounter] != 0 || len(b.warned()) != 0 {
		t.Errorf("second machine, again, server stopped: %+v, counters %v, warnings %q", sumB.Counts, sumB.Counters, b.warned())
	}
}

// `isobench status` on a fresh machine: inspecting fetches what the remote holds, so the
// targets read as cached, and nothing executes.
func TestRemoteInspectSeesRemoteResults(t *testing.T) {
	srv := remotetest.Start(t)
	a := newMachine(t, srv.URL)
	a.build(pipeline(a, t.Name(), randomOut))

	b := newMachine(t, srv.URL)
	_, outcomes, err := Run(context.Background(), pipeline(b, t.Name(), randomOut),
		Options{Store: b.store, Workspace: &Workspace{Root: t.TempDir()}, Inspect: true, Remote: b.remote})
	if err != nil {
		t.Fatal(err)
	}
	for a, o := range outcomes {
		if o.Stale || o.Outcome == nil {
			t.Errorf("%s is stale on the second machine: %s", a.ID, o.Reason)
		}
	}
	if b.runs.total() != 0 {
		t.Errorf("inspecting executed %v", b.runs.counts)
	}
}

// A blob that the server serves corrupt makes the result that names it unusable: the action
// executes, with one warning naming it; the results around it still come from the remote;
// and the upload that follows repairs the server's copy for the next machine.
func TestRemoteCorruptBlobExecutesTheAction(t *testing.T) {
	srv := remotetest.Start(t)
	same := func() string { return "deterministic" }
	a := newMachine(t, srv.URL)
	_, outA := a.build(pipeline(a, t.Name(), same))
	if err := srv.Corrupt(string(outA["measure"].Outcome.Outputs["out"])); err != nil {
		t.Fatal(err)
	}

	b := newMachine(t, srv.URL)
	sumB, outB := b.build(pipeline(b, t.Name(), same))
	if sumB.Failed != 0 || b.runs.get("measure") != 1 || b.runs.total() != 1 {
		t.Errorf("second machine executed %v (%+v); want measure only", b.runs.counts, sumB.Counts)
	}
	if sumB.Counters[remoteHitsCounter] != 5 {
		t.Errorf("%d results from the remote, want 5 (all but measure)", sumB.Counters[remoteHitsCounter])
	}
	w := b.warned()
	if len(w) != 1 || !strings.Contains(w[0], "measure") || !strings.Contains(w[0], "does not match its digest") {
		t.Errorf("warnings: %q; want one that names measure and the bad digest", w)
	}
	got, err := b.store.Get(outB["measure"].Outcome.Outputs["out"])
	if err != nil || string(got) != "timings deterministic" {
		t.Errorf("measure's output on the second machine: %q, %v", got, err)
	}

	c := newMachine(t, srv.URL)
	sumC, _ := c.build(pipeline(c, t.Name(), same))
	if sumC.Executed != 0 || len(c.warned()) != 0 {
		t.Errorf("third machine after the repair: %+v, warnings %q", sumC.Counts, c.warned())
	}
}

// A server that is down costs one warning; the build executes locally and succeeds.
func TestRemoteDownBuildsLocally(t *testing.T) {
	srv := remotetest.Start(t)
	srv.Stop()
	m := newMachine(t, srv.URL)
	sum, _ := m.build(pipeline(m, t.Name(), randomOut))
	if sum.Executed != 6 || sum.Failed != 0 || sum.Blocked != 0 || sum.NotRun != 0 {
		t.Errorf("build with the server down: %+v", sum.Counts)
	}
	w := m.warned()
	if len(w) != 1 || !strings.Contains(w[0], srv.URL) || !strings.Contains(w[0], "local cache only") {
		t.Errorf("warnings: %q; want exactly one that names the server", w)
	}
	// Everything was stored locally: the next build, still without a server, replays it.
	sum, _ = m.build(pipeline(m, t.Name(), randomOut))
	if sum.Executed != 0 || sum.Cached != 5 {
		t.Errorf("second build: %+v", sum.Counts)
	}
}

// Transient results are never stored, so never uploaded; --rerun executes without asking.
func TestRemoteTransientAndRerun(t *testing.T) {
	srv := remotetest.Start(t)
	a := newMachine(t, srv.URL)
	flaky := a.action(step{id: "flaky", lines: []Line{L("test", t.Name())},
		result: func(x *Exec) *Result { return Transient("http_503", "the endpoint said 503") }})
	_, out := a.build([]*Action{flaky})
	if e, err := a.remote.Fetch(context.Background(), out["flaky"].Key, openStore(t, t.TempDir()), nil); e != nil || err != nil {
		t.Errorf("a transient result reached the server: %v, %v", e, err)
	}

	a.build(pipeline(a, t.Name(), randomOut))
	b := newMachine(t, srv.URL)
	sum, _ := b.bench.build(context.Background(), pipeline(b, t.Name(), randomOut),
		Options{Remote: b.remote, Rerun: []Pattern{mustPattern(t, "//t:measure")}})
	if b.runs.get("measure") != 1 || sum.Counters[remoteHitsCounter] == 0 {
		t.Errorf("--rerun //t:measure on the second machine: executed %v, %d remote hits", b.runs.counts, sum.Counters[remoteHitsCounter])
	}
}

func TestRemoteCacheSettings(t *testing.T) {
	root := writeTree(t, map[string]string{"isobench.hcl": `workspace {
  remote_cache           = "https://cache.example.com/isobench"
  remote_cache_token_env = "TEAM_CACHE_TOKEN"
}
`})
	ws := mustLoad(t, root, LoadOptions{})
	if s := ws.Settings; s.RemoteCache != "https://cache.example.com/isobench" || s.RemoteCacheTokenEnv != "TEAM_CACHE_TOKEN" {
		t.Errorf("settings: %+v", s)
	}

	root = writeTree(t, map[string]string{"isobench.hcl": `workspace {
  remote_cache           = "cache.example.com:8080"
  remote_cache_token_env = "ghp_notAVariableButTheToken-itself"
}
`})
	_, diags := Load(root, LoadOptions{Kinds: testKinds(nil)})
	got := renderAll(diags)
	for _, want := range []string{
		"isobench.hcl:2:28: Invalid remote cache URL: The remote cache URL \"cache.example.com:8080\" is not an http:// or https:// URL",
		"isobench.hcl:3:28: Invalid environment variable name: remote_cache_token_env names the environment variable",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics do not say %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "ghp_") {
		t.Errorf("a diagnostic repeats what may be the token:\n%s", got)
	}
}
