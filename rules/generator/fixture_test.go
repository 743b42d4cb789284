package generator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

func TestMain(m *testing.M) {
	// Backoff between retries of a transient error starts at a second in real builds; the
	// tests make servers fail on purpose and need not wait that long. Retry-After is still
	// honoured as sent.
	retryBase = 10 * time.Millisecond
	os.Exit(m.Run())
}

// llmServer speaks the chat-completions API over real HTTP. Each request is recorded; respond
// decides the answer from the request's number (from 1) and its decoded body.
type llmServer struct {
	*httptest.Server
	mu          sync.Mutex
	requests    []recorded
	inFlight    int
	maxInFlight int
	respond     func(w http.ResponseWriter, r *http.Request, n int, body map[string]any)
}

type recorded struct {
	at     time.Time
	path   string
	query  string
	header http.Header
	body   []byte
}

func newLLMServer(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int, body map[string]any)) *llmServer {
	s := &llmServer{respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the request body: %v", err)
		}
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("the request body is not JSON: %v: %s", err, raw)
		}
		s.mu.Lock()
		s.requests = append(s.requests, recorded{time.Now(), r.URL.Path, r.URL.RawQuery, r.Header.Clone(), raw})
		n := len(s.requests)
		s.inFlight++
		s.maxInFlight = max(s.maxInFlight, s.inFlight)
		s.mu.Unlock()
		defer func() { s.mu.Lock(); s.inFlight--; s.mu.Unlock() }()
		if r.URL.Path != "/v1/chat/completions" && !strings.HasPrefix(r.URL.Path, "/openai/deployments/") {
			http.NotFound(w, r)
			return
		}
		s.respond(w, r, n, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *llmServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *llmServer) request(i int) recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[i]
}

// answer writes a successful completion.
func answer(w http.ResponseWriter, content, finish string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "created": 1767225600, "model": "served-model-2026",
		"choices": []any{map[string]any{"index": 0, "finish_reason": finish,
			"message": map[string]any{"role": "assistant", "content": content}}},
		"usage": map[string]any{"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140},
	})
}

// apiError writes an error in OpenAI's format.
func apiError(w http.ResponseWriter, status int, code, param, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	e := map[string]any{"message": message, "type": "invalid_request_error", "code": code}
	if param != "" {
		e["param"] = param
	}
	json.NewEncoder(w).Encode(map[string]any{"error": e})
}

const goodScript = "import time\n\nstart = time.perf_counter()\nsum(range(1000))\nprint(f\"metric: {time.perf_counter() - start}\")\n"

// alwaysGood answers every request with the same valid script in a fence.
func alwaysGood(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
	answer(w, "Here is the test:\n\n```python\n"+goodScript+"```\n", "stop")
}

// commitKind is a stand-in for the commit rule: its facts come from attributes, so a test
// controls subject and diff directly.
type commitKind struct{}

func (commitKind) Name() string { return "commit" }
func (commitKind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "head", Type: engine.TypeString, Required: true},
		{Name: "subject", Type: engine.TypeString},
		{Name: "diff", Type: engine.TypeString},
		{Name: "files", Type: engine.TypeStrings},
	}}
}
func (commitKind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	facts := artifact.CommitFacts{Repo: "//repos:r", RepoURL: "/repos/r", Head: t.String("head"),
		Base: strings.Repeat("b", 40), Short: t.String("head")[:12], Subject: t.String("subject"),
		Message: t.String("subject") + "\n", Diff: t.String("diff"), Date: "2026-01-01T00:00:00Z"}
	for _, f := range t.Strings("files") {
		facts.Files = append(facts.Files, artifact.FileChange{Path: f, Change: "modified"})
	}
	data, err := json.Marshal(facts)
	if err != nil {
		return nil, err
	}
	return &engine.Action{ID: "commit " + t.Label.String(), Mnemonic: "commit", Label: t.Label,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return &engine.Work{RuleVersion: 1, Lines: []engine.Line{engine.LongLine("facts", data)},
				Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
					return engine.OK(map[string][]byte{artifact.CommitOutput: data}, nil), nil
				}}, nil
		}}, nil
}

// benchKind is a stand-in for the benchmark rule: it asks the generator for the commit's test
// through PlanFor and "measures" it with an action keyed by the script's output digest, which
// counts its runs in measured.
type benchKind struct{ measured *atomic.Int64 }

func (benchKind) Name() string { return "bench" }
func (benchKind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "commit", Type: engine.TypeLabel, Required: true, RefKind: "commit"},
		{Name: "generator", Type: engine.TypeLabel, Required: true, RefKind: "generator"},
		{Name: "side", Type: engine.TypeString},
	}}
}
func (k benchKind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	c, err := p.Plan(t.Body.Label("commit"))
	if err != nil {
		return nil, err
	}
	g, err := p.PlanFor(t.Body.Label("generator"), c, t.String("side"))
	if err != nil {
		return nil, err
	}
	return &engine.Action{ID: "measure " + t.Label.String(), Mnemonic: "measure", Label: t.Label, Deps: []*engine.Action{g},
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return &engine.Work{RuleVersion: 1, Lines: []engine.Line{engine.L("script", in.OutputDigest(g, artifact.ScriptOutput))},
				Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
					k.measured.Add(1)
					return engine.OK(map[string][]byte{"measurement": []byte("{}")}, nil), nil
				}}, nil
		}}, nil
}

// workspace is a real isobench workspace in a temporary directory, built with the real
// scheduler against a real Badger store.
type workspace struct {
	t        *testing.T
	dir      string
	cacheDir string
	measured atomic.Int64 // runs of measure actions, over all builds
	warnings []string     // load-time warnings of the last build
}

func newWorkspace(t *testing.T, files map[string]string) *workspace {
	w := &workspace{t: t, dir: t.TempDir(), cacheDir: t.TempDir()}
	w.write(files)
	return w
}

func (w *workspace) write(files map[string]string) {
	if _, ok := files["isobench.hcl"]; !ok {
		files["isobench.hcl"] = "workspace {\n  name = \"test\"\n}\n"
	}
	for name, text := range files {
		path := filepath.Join(w.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
}

// result is one build's outcome.
type result struct {
	summary  *engine.Summary
	outcomes map[*engine.Action]*engine.Visit
	store    string
}

// build plans every target of the kinds given (default: bench) and runs them. It fails the
// test on a load error; warnings are kept in w.warnings.
func (w *workspace) build(opt engine.Options, kinds ...string) *result {
	w.t.Helper()
	if len(kinds) == 0 {
		kinds = []string{"bench"}
	}
	ws, diags := engine.Load(w.dir, engine.LoadOptions{Kinds: []engine.Kind{Kind{}, commitKind{}, benchKind{&w.measured}}})
	if diags.HasErrors() {
		w.t.Fatalf("loading the workspace: %s", diags.Error())
	}
	w.warnings = nil
	for _, d := range diags {
		w.warnings = append(w.warnings, d.Summary+": "+d.Detail)
	}
	p := engine.NewPlanner(ws)
	var roots []*engine.Action
	for _, l := range ws.Labels() {
		for _, k := range kinds {
			if ws.Targets[l].Kind == k {
				a, err := p.Plan(l)
				if err != nil {
					w.t.Fatalf("planning %s: %v", l, err)
				}
				roots = append(roots, a)
			}
		}
	}
	store := w.open(false)
	defer store.Close()
	opt.Store, opt.Workspace, opt.UserCache, opt.KeepGoing = store, ws, w.t.TempDir(), true
	if opt.Jobs == 0 {
		opt.Jobs = 4
	}
	opt.Pools = p.Pools()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	sum, outcomes, err := engine.Run(ctx, roots, opt)
	if err != nil {
		w.t.Fatalf("build: %v", err)
	}
	return &result{summary: sum, outcomes: outcomes, store: w.cacheDir}
}

// open opens the workspace's store. The store's lock is a flock released by closing its file,
// and a child forked meanwhile by a parallel test (python3 for a syntax check) holds a copy of
// that file until it execs; so a reopen right after a close may find the lock still held, by
// this very process, for a few milliseconds. open waits that out.
func (w *workspace) open(readOnly bool) *cache.Store {
	w.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		store, err := cache.Open(w.cacheDir, cache.Options{ReadOnly: readOnly})
		var locked *cache.LockedError
		if errors.As(err, &locked) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil {
			w.t.Fatal(err)
		}
		return store
	}
}

// generates returns the outcomes of generate actions, sorted by ID.
func (r *result) generates() []*engine.Visit {
	var out []*engine.Visit
	for a, o := range r.outcomes {
		if a.Mnemonic == "generate" {
			out = append(out, o)
		}
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Action.ID < out[i].Action.ID {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// only returns the single generate outcome of a build.
func (r *result) only(t *testing.T) *engine.Visit {
	t.Helper()
	g := r.generates()
	if len(g) != 1 {
		t.Fatalf("%d generate actions, want 1", len(g))
	}
	return g[0]
}

// output reads a named output of an outcome from the store.
func (w *workspace) output(o *engine.Visit, name string) []byte {
	w.t.Helper()
	store := w.open(true)
	defer store.Close()
	d, ok := o.Outcome.Outputs[name]
	if !ok {
		w.t.Fatalf("%s has no output %q (status %s %s: %s)", o.Action.ID, name, o.Outcome.Status, o.Outcome.Class, o.Outcome.Message)
	}
	data, err := store.Get(d)
	if err != nil {
		w.t.Fatal(err)
	}
	return data
}

// generation decodes the generation record of an outcome.
func (w *workspace) generation(o *engine.Visit) artifact.Generation {
	var g artifact.Generation
	if err := json.Unmarshal(w.output(o, artifact.GenerationOutput), &g); err != nil {
		w.t.Fatal(err)
	}
	return g
}

// cached reports whether the store holds an entry under the outcome's key.
func (w *workspace) cached(o *engine.Visit) bool {
	w.t.Helper()
	store := w.open(true)
	defer store.Close()
	_, ok, err := store.GetEntry(o.Key)
	if err != nil {
		w.t.Fatal(err)
	}
	return ok
}

// oneCommit is a workspace with one commit, one generator (whose attributes are given) and
// one benchmark using them.
func oneCommit(server *llmServer, generator string) map[string]string {
	return map[string]string{
		"commits/BUILD.hcl": `commit "fast" {
  head    = "1111111111111111111111111111111111111111"
  subject = "Speed up the block pool"
  diff    = "diff --git a/pool.py b/pool.py\n+fast = True\n"
}
`,
		"generators/BUILD.hcl": fmt.Sprintf("generator \"llm\" {\n  base_url = %q\n%s}\n", server.URL+"/v1", generator),
		"benchmarks/BUILD.hcl": `bench "fast" {
  commit    = "//commits:fast"
  generator = "//generators:llm"
}
`,
	}
}
