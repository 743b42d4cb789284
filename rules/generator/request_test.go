package generator

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// wantBody compares a request body with the JSON expected, key for key: nothing missing,
// nothing extra.
func wantBody(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("request body\n got: %s\nwant: %s", got, want)
	}
}

func TestRequestBodyReasoningModel(t *testing.T) {
	server := newLLMServer(t, alwaysGood)
	t.Setenv("GEN_TEST_KEY", "sk-test-reasoning")
	w := newWorkspace(t, oneCommit(server, `  api_key_env      = "GEN_TEST_KEY"
  model            = "gpt-5-2025-08-07"
  system           = "You write performance tests."
  prompt           = "Write a test for ${commit.short}: ${commit.subject}"
  max_tokens       = 3000
  temperature      = 0.2
  reasoning_effort = "medium"
  seed             = 7
`))
	r := w.build(engine.Options{})
	o := r.only(t)
	if o.Outcome.Status != engine.StatusOK {
		t.Fatalf("generation: %s %s: %s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message)
	}
	// A reasoning model is sent max_completion_tokens, no temperature, and its effort.
	wantBody(t, server.request(0).body, `{
		"model": "gpt-5-2025-08-07",
		"messages": [
			{"role": "system", "content": "You write performance tests."},
			{"role": "user", "content": "Write a test for 111111111111: Speed up the block pool"}
		],
		"max_completion_tokens": 3000,
		"reasoning_effort": "medium",
		"seed": 7,
		"stream": false
	}`)
	if got := server.request(0).header.Get("Authorization"); got != "Bearer sk-test-reasoning" {
		t.Errorf("Authorization = %q", got)
	}
	if len(w.warnings) != 1 || !strings.Contains(w.warnings[0], "temperature is not sent to a reasoning model") {
		t.Errorf("warnings = %q, want one about temperature", w.warnings)
	}
	g := w.generation(o)
	wantParams := map[string]string{"max_completion_tokens": "3000", "reasoning_effort": "medium", "seed": "7"}
	if !reflect.DeepEqual(g.Params, wantParams) {
		t.Errorf("params = %v, want %v", g.Params, wantParams)
	}
	if script := w.Output(o, artifact.ScriptOutput); string(script) != goodScript {
		t.Errorf("script = %q, want %q", script, goodScript)
	}
	if len(g.Attempts) != 1 || g.Attempts[0].ServedModel != "served-model-2026" || g.Attempts[0].PromptTokens != 100 ||
		g.Attempts[0].OutputTokens != 40 || g.Attempts[0].FinishReason != "stop" || g.Attempts[0].Problem != "" {
		t.Errorf("attempts = %+v", g.Attempts)
	}
	// The key names what was sent, never the key itself.
	if strings.Contains(o.Desc, "sk-test") || !strings.Contains(o.Desc, "param.max_completion_tokens 3000") {
		t.Errorf("key description:\n%s", o.Desc)
	}
	c := r.Summary.Counters
	if c["requests"] != 1 || c["tokens_in:gpt-5-2025-08-07"] != 100 || c["tokens_out:gpt-5-2025-08-07"] != 40 {
		t.Errorf("counters = %v", c)
	}
}

func TestRequestBodyClassicModel(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, alwaysGood)
	w := newWorkspace(t, oneCommit(server, `  model       = "Qwen/Qwen2.5-Coder-7B-Instruct"
  prompt      = "Subject: ${commit.subject}"
  max_tokens  = 2000
  temperature = 0
  top_p       = 0.9
  seed        = 7
`))
	o := w.build(engine.Options{}).only(t)
	if o.Outcome.Status != engine.StatusOK {
		t.Fatalf("generation: %s %s: %s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message)
	}
	// A classic model is sent max_tokens and its sampling parameters; a temperature of 0 is
	// sent although go-openai would drop it. Without api_key_env no key is sent.
	wantBody(t, server.request(0).body, `{
		"model": "Qwen/Qwen2.5-Coder-7B-Instruct",
		"messages": [{"role": "user", "content": "Subject: Speed up the block pool"}],
		"max_tokens": 2000,
		"temperature": 0,
		"top_p": 0.9,
		"seed": 7,
		"stream": false
	}`)
	if got := server.request(0).header.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
}

func TestAzureDeployment(t *testing.T) {
	server := newLLMServer(t, alwaysGood)
	t.Setenv("GEN_TEST_AZURE", "azure-key")
	files := oneCommit(server, `  api_key_env = "GEN_TEST_AZURE"
  api_type    = "azure"
  api_version = "2024-10-21"
  model       = "my-gpt-4.1"
  prompt      = "Write a test."
`)
	files["generators/BUILD.hcl"] = strings.Replace(files["generators/BUILD.hcl"], server.URL+"/v1", server.URL, 1)
	w := newWorkspace(t, files)
	if o := w.build(engine.Options{}).only(t); o.Outcome.Status != engine.StatusOK {
		t.Fatalf("generation: %s %s: %s", o.Outcome.Status, o.Outcome.Class, o.Outcome.Message)
	}
	req := server.request(0)
	if req.path != "/openai/deployments/my-gpt-4.1/chat/completions" || req.query != "api-version=2024-10-21" {
		t.Errorf("request to %s?%s", req.path, req.query)
	}
	if req.header.Get("api-key") != "azure-key" {
		t.Errorf("api-key header = %q", req.header.Get("api-key"))
	}
}

func TestSamplesAreSeparateRequests(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, alwaysGood)
	files := oneCommit(server, "  model = \"local\"\n  prompt = \"p\"\n  seed = 10\n  samples = 2\n")
	files["benchmarks/BUILD.hcl"] += `bench "second" {
  commit    = "//commits:fast"
  generator = "//generators:llm"
  side      = "head#1"
}
`
	w := newWorkspace(t, files)
	g := w.build(engine.Options{}).generates()
	if len(g) != 2 || g[0].Key == g[1].Key {
		t.Fatalf("want two generate actions with different keys, got %d", len(g))
	}
	if !strings.HasSuffix(g[0].Action.ID, "#0") || !strings.HasSuffix(g[1].Action.ID, "#1") {
		t.Errorf("IDs %q and %q", g[0].Action.ID, g[1].Action.ID)
	}
	seeds := map[float64]bool{}
	for i := 0; i < server.count(); i++ {
		var body map[string]any
		json.Unmarshal(server.request(i).body, &body)
		seeds[body["seed"].(float64)] = true
	}
	if !seeds[10] || !seeds[11] {
		t.Errorf("seeds sent: %v, want 10 and 11", seeds)
	}
	if gen := w.generation(g[1]); gen.Sample != 1 {
		t.Errorf("sample = %d", gen.Sample)
	}
}

func TestIsReasoningModel(t *testing.T) {
	for model, want := range map[string]bool{
		"gpt-5": true, "gpt-5-2025-08-07": true, "gpt-5-mini": true, "o1": true, "o3-mini": true, "o4-mini": true,
		"openai/gpt-5": true, "openai/o3": true, "gpt-5-chat-latest": true, "gpt-6-sol": true,
		"gpt-4o": false, "gpt-4.1-mini": false, "Qwen/Qwen3-8B": false, "llama3.1:8b": false, "olmo": false,
	} {
		if got := isReasoningModel(model); got != want {
			t.Errorf("isReasoningModel(%q) = %v, want %v", model, got, want)
		}
	}
}

func TestParseSide(t *testing.T) {
	for _, c := range []struct {
		side    string
		want    int
		wantErr string
	}{
		{"", 0, ""}, {"head", 0, ""}, {"head#2", 2, ""},
		{"head#3", 0, "declares samples = 3"}, {"base", 0, "one test per commit"}, {"head#x", 0, "one test per commit"},
	} {
		got, err := parseSide(c.side, 3)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("parseSide(%q): error %v, want one containing %q", c.side, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseSide(%q) = %d, %v; want %d", c.side, got, err, c.want)
		}
	}
}
