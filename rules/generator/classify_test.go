package generator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/ruletest"
)

func TestParseVerdict(t *testing.T) {
	good := []struct {
		answer string
		perf   bool
		apis   int
	}{
		{`{"performance": true, "reason": "Caches the block table.", "apis": ["vllm.LLM.generate"]}`, true, 1},
		{"```json\n{\"performance\": false, \"reason\": \"Docs only.\"}\n```", false, 0},
		{"<think>hmm</think>\n{\"performance\": false, \"reason\": \"A test.\", \"apis\": []}", false, 0},
		{"\n```\n{\"performance\": true, \"reason\": \"x\", \"apis\": [\" a \", \"\"]}\n```\n", true, 1},
	}
	for _, c := range good {
		v, problem := ParseVerdict(c.answer)
		if problem != "" || v.Performance != c.perf || len(v.APIs) != c.apis {
			t.Errorf("ParseVerdict(%q) = %+v, %q", c.answer, v, problem)
		}
	}
	bad := map[string]string{
		"":                                      "empty",
		"yes, it is a performance commit":       "not the JSON object",
		`{"performance": "yes", "reason": "x"}`: "not the JSON object",
		`{"reason": "x"}`:                       `no "performance"`,
		`{"performance": true}`:                 `no "reason"`,
		`{"performance": true, "reason": " "}`:  `no "reason"`,
		`{"performance": true, "reason": "x", "confidence": 0.9}`:               "unknown field",
		`{"performance": true, "reason": "x"} and more`:                         "text after",
		"Here it is:\n```json\n{\"performance\": true, \"reason\": \"x\"}\n```": "not the JSON object",
	}
	for answer, want := range bad {
		if v, problem := ParseVerdict(answer); v != nil || !strings.Contains(problem, want) {
			t.Errorf("ParseVerdict(%q) = %+v, %q; want a problem mentioning %q", answer, v, problem, want)
		}
	}
}

// judgeFor loads a workspace whose generator has the given attributes and returns its Judge,
// as a commit search gets it.
func judgeFor(t *testing.T, server *llmServer, attrs string) engine.Judge {
	t.Helper()
	w := newWorkspace(t, oneCommit(server, attrs))
	p := w.Plan("//generators:llm")
	j, err := engine.ClassifierFor(p.Planner, ruletest.Label("//generators:llm"))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

var classifyFacts = []byte(`{"repo":"//repos:r","head":"1111111111111111111111111111111111111111","short":"111111111111",` +
	`"subject":"Speed up the block pool","message":"Speed up the block pool\n","files":[{"path":"pool.py","change":"modified"}],` +
	`"diff":"diff --git a/pool.py b/pool.py\n+fast = True\n"}`)

// TestClassify asks a real HTTP endpoint about a commit: the prompt is rendered from the
// facts, an answer that is not the JSON object is answered with a repair message in the same
// conversation, and the verdict, the served model and the request count come back.
func TestClassify(t *testing.T) {
	server := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
		if n == 1 {
			answer(w, "It is a performance commit.", "stop")
			return
		}
		answer(w, "```json\n{\"performance\": true, \"reason\": \"The pool skips a copy.\", \"apis\": [\"BlockPool.get\"]}\n```", "stop")
	})
	j := judgeFor(t, server, "  model = \"judge-1\"\n  prompt = \"Is ${commit.subject} about speed? ${join(\",\", commit.files)}\"\n  temperature = 0\n")
	q, err := j.Question(classifyFacts)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Lines) != 1 || q.Lines[0].Name != "prompt" {
		t.Errorf("question lines = %v", q.Lines)
	}
	var log strings.Builder
	a := q.Ask(context.Background(), &log)
	if a.Failure != nil || a.Verdict == nil || !a.Verdict.Performance || a.Verdict.APIs[0] != "BlockPool.get" {
		t.Fatalf("answer = %+v (failure %+v)\nlog:\n%s", a, a.Failure, log.String())
	}
	if a.Model != "served-model-2026" || a.Counters["requests"] != 2 || a.Counters["tokens_in:judge-1"] != 200 {
		t.Errorf("model %q, counters %v", a.Model, a.Counters)
	}
	first, second := string(server.request(0).body), string(server.request(1).body)
	if !strings.Contains(first, `Is Speed up the block pool about speed? pool.py`) || !strings.Contains(first, `"temperature":0`) {
		t.Errorf("first request = %s", first)
	}
	if !strings.Contains(second, "It is a performance commit.") || !strings.Contains(second, "Reply with one JSON object only") {
		t.Errorf("the repair request does not hold the answer and the repair message: %s", second)
	}
	want := []engine.Line{engine.L("endpoint", server.URL+"/v1"), engine.L("model", "judge-1"), engine.L("param.temperature", "0"), engine.L("classifier.version", 1)}
	if got := j.Lines(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("judge lines = %v, want %v", got, want)
	}
}

// TestClassifyFailures: answers that never parse give Invalid (a result); a server that keeps
// failing and a missing key give a transient Failure (never kept).
func TestClassifyFailures(t *testing.T) {
	server := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
		switch body["model"] {
		case "chatty":
			answer(w, `{"performance": true}`, "stop")
		default:
			apiError(w, http.StatusServiceUnavailable, "", "", "overloaded")
		}
	})
	ask := func(attrs string) *engine.Answer {
		q, err := judgeFor(t, server, attrs).Question(classifyFacts)
		if err != nil {
			t.Fatal(err)
		}
		return q.Ask(context.Background(), io.Discard)
	}
	if a := ask("  model = \"chatty\"\n  prompt = \"x\"\n  max_attempts = 2\n"); a.Verdict != nil || !strings.Contains(a.Invalid, `no "reason"`) || a.Failure != nil {
		t.Errorf("never parses: %+v", a)
	}
	if a := ask("  model = \"down\"\n  prompt = \"x\"\n  max_retries = 0\n"); a.Failure == nil || a.Failure.Class != "server_error" || !a.Failure.Transient {
		t.Errorf("server down: %+v", a)
	}
	t.Setenv("ISOBENCH_TEST_NO_KEY", "")
	if a := ask("  model = \"down\"\n  prompt = \"x\"\n  api_key_env = \"ISOBENCH_TEST_NO_KEY\"\n"); a.Failure == nil || a.Failure.Class != "missing_api_key" {
		t.Errorf("no key: %+v", a)
	}
}
