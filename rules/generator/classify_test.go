package generator

import (
	"strings"
	"testing"
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
