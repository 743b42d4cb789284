package generator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/ruletest"
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

// benchConfig is a decoded bench target.
type benchConfig struct {
	commit, generator engine.Label
	side              string
}

func (benchKind) Decode(t *engine.Target) (any, hcl.Diagnostics) {
	return &benchConfig{commit: t.Body.Label("commit"), generator: t.Body.Label("generator"), side: t.String("side")}, nil
}

func (k benchKind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	cfg := t.Config.(*benchConfig)
	c, err := p.Plan(cfg.commit)
	if err != nil {
		return nil, err
	}
	g, err := p.PlanFor(cfg.generator, c, cfg.side)
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

// workspace is a ruletest workspace of the generator kind, ruletest's commit and benchKind.
type workspace struct {
	*ruletest.Workspace
	measured atomic.Int64 // runs of measure actions, over all builds
	warnings []string     // load-time warnings of the last build
}

func newWorkspace(t *testing.T, files map[string]string) *workspace {
	t.Helper()
	w := &workspace{}
	w.Workspace = ruletest.New(t, files, Kind{}, ruletest.Commit{}, benchKind{&w.measured})
	w.Timeout = 50 * time.Second
	return w
}

// result is one build.
type result struct{ *ruletest.Build }

// build plans every target of the kinds given (default: bench) and builds them with opt. It
// fails the test on a load error; warnings are kept in w.warnings.
func (w *workspace) build(opt engine.Options, kinds ...string) result {
	w.T().Helper()
	if len(kinds) == 0 {
		kinds = []string{"bench"}
	}
	p := w.PlanKinds(kinds...)
	w.warnings = nil
	for _, d := range p.Warnings {
		w.warnings = append(w.warnings, d.Summary+": "+d.Detail)
	}
	return result{w.Run(p, opt)}
}

// generates returns the visits of generate actions, sorted by ID.
func (r result) generates() []*engine.Visit { return r.WithMnemonic("generate") }

// only returns the single generate visit of a build.
func (r result) only(t *testing.T) *engine.Visit {
	t.Helper()
	g := r.generates()
	if len(g) != 1 {
		t.Fatalf("%d generate actions, want 1", len(g))
	}
	return g[0]
}

// generation decodes the generation record of a visit.
func (w *workspace) generation(v *engine.Visit) artifact.Generation {
	var g artifact.Generation
	w.DecodeOutput(v, artifact.GenerationOutput, &g)
	return g
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
