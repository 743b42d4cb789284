package commitsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// classifierKind stands in for the generator kind (rules/generator), which a kind's tests may
// not import: a `generator` target that judges commits through engine.Classifier, asking an
// OpenAI-compatible endpoint over real HTTP with the rendered prompt, as the generator does.
// The generator's own tests check its side (rendering, retries, strict parsing).
//
//	generator "judge" {
//	  base_url = "http://127.0.0.1:PORT/v1"
//	  model    = "judge-1"
//	  prompt   = "Is ${commit.subject} a performance commit?"
//	}
type classifierKind struct{}

type classifierConfig struct {
	endpoint, model string
	prompt          engine.LateAttr
}

var _ engine.Classifier = classifierKind{}

func (classifierKind) Name() string { return "generator" }

func (classifierKind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "base_url", Type: engine.TypeString, Required: true},
		{Name: "model", Type: engine.TypeString, Required: true},
		{Name: "prompt", Type: engine.TypeString, Required: true, Late: true},
	}}
}

func (classifierKind) Decode(t *engine.Target) (any, hcl.Diagnostics) {
	return &classifierConfig{endpoint: t.String("base_url"), model: t.String("model"), prompt: t.Late("prompt")}, nil
}

func (classifierKind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	return &engine.Action{ID: "generator " + t.Label.String(), Mnemonic: "generator", Label: t.Label,
		Prepare: func(context.Context, *engine.Inputs) (*engine.Work, error) {
			return &engine.Work{RuleVersion: 1, Done: engine.OK(nil, nil)}, nil
		}}, nil
}

func (classifierKind) Classifier(p *engine.Planner, t *engine.Target) (engine.Judge, error) {
	return t.Config.(*classifierConfig), nil
}

func (c *classifierConfig) Lines() []engine.Line {
	return []engine.Line{engine.L("endpoint", c.endpoint), engine.L("model", c.model)}
}

func (c *classifierConfig) Needs() engine.Needs { return engine.Needs{CPU: 1} }

func (c *classifierConfig) Concurrency() int { return 3 }

func (c *classifierConfig) Question(facts []byte) (*engine.Question, error) {
	var f artifact.CommitFacts
	if err := json.Unmarshal(facts, &f); err != nil {
		return nil, err
	}
	prompt, err := c.prompt.String(f.Vars(artifact.Head))
	if err != nil {
		return nil, err
	}
	return &engine.Question{Lines: []engine.Line{engine.LongLine("prompt", []byte(prompt))},
		Ask: func(ctx context.Context, log io.Writer) *engine.Answer { return c.ask(ctx, prompt) }}, nil
}

func (c *classifierConfig) ask(ctx context.Context, prompt string) *engine.Answer {
	a := &engine.Answer{Counters: map[string]int64{"requests": 1}}
	body, _ := json.Marshal(map[string]any{"model": c.model, "messages": []map[string]string{{"role": "user", "content": prompt}}})
	req, _ := http.NewRequestWithContext(ctx, "POST", c.endpoint+"/chat/completions", bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.Failure = engine.Transient("connection_failed", "%s", err)
		return a
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		a.Failure = engine.Transient("server_error", "HTTP %d", resp.StatusCode)
		return a
	}
	var out struct {
		Model   string
		Choices []struct{ Message struct{ Content string } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Choices) != 1 {
		a.Failure = engine.Transient("bad_response", "not a chat completion: %v", err)
		return a
	}
	a.Raw, a.Model = out.Choices[0].Message.Content, out.Model
	var v engine.Verdict
	if err := json.Unmarshal([]byte(a.Raw), &v); err != nil {
		a.Invalid = err.Error()
		return a
	}
	a.Verdict = &v
	return a
}

// judgeServer is an OpenAI-compatible endpoint that judges a commit by its prompt: a
// performance commit when the prompt says "Speed up" or "Cache", not one otherwise. It
// counts requests, and fails with HTTP 500 those whose prompt holds fail (when set).
type judgeServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests int
	fail     string
}

func newJudgeServer(t *testing.T) *judgeServer {
	s := &judgeServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string
			Messages []struct{ Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		prompt := req.Messages[0].Content
		s.mu.Lock()
		s.requests++
		fail := s.fail
		s.mu.Unlock()
		if fail != "" && strings.Contains(prompt, fail) {
			http.Error(w, "overloaded", http.StatusInternalServerError)
			return
		}
		perf := strings.Contains(prompt, "Speed up") || strings.Contains(prompt, "Cache")
		answer, _ := json.Marshal(engine.Verdict{Performance: perf, Reason: fmt.Sprintf("judged %t", perf), APIs: []string{"lib.mean"}})
		json.NewEncoder(w).Encode(map[string]any{"model": req.Model + "-served",
			"choices": []map[string]any{{"message": map[string]string{"role": "assistant", "content": string(answer)}, "finish_reason": "stop"}}})
	}))
	t.Cleanup(s.Close)
	return s
}

// take returns the requests counted since the last call.
func (s *judgeServer) take() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.requests
	s.requests = 0
	return n
}
