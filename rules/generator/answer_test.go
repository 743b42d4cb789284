package generator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// TestBadAnswersAreRepaired checks each kind of unusable answer: it is kept in the record
// with its problem, and the next request carries a repair message naming that problem.
func TestBadAnswersAreRepaired(t *testing.T) {
	for _, c := range []struct {
		name, content, finish, problem, repair string
		assistantTurn                          bool // the bad answer is sent back to the model
	}{
		{"empty", "", "stop", "the answer was empty", "Your answer was empty.", false},
		{"truncated", "```python\nimport time\nfor i in range(", "length",
			"the answer was cut off at the token limit (finish_reason = length)", "cut off at the token limit", true},
		{"invalid", "```python\ndef main(:\n    pass\n```", "stop",
			"the code does not parse as Python (line 1: invalid syntax)", "does not parse as Python (line 1: invalid syntax)", true},
		{"prose", "I cannot see the diff.\n\n```bash\npython test.py\n```", "stop",
			"the answer held no Python code", "held no Python code", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			server := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
				if n == 1 {
					answer(w, c.content, c.finish)
					return
				}
				alwaysGood(w, r, n, body)
			})
			w := newWorkspace(t, oneCommit(server, "  model = \"m\"\n  prompt = \"Write a test.\"\n"))
			o := w.build(engine.Options{}).only(t)
			mustOK(t, o)
			g := w.generation(o)
			if len(g.Attempts) != 2 {
				t.Fatalf("%d attempts recorded, want 2", len(g.Attempts))
			}
			first, second := g.Attempts[0], g.Attempts[1]
			if first.Problem != c.problem || first.Response != c.content || first.FinishReason != c.finish || first.Request != "" {
				t.Errorf("first attempt = %+v", first)
			}
			if !strings.Contains(second.Request, c.repair) || second.Problem != "" {
				t.Errorf("second attempt = %+v", second)
			}
			// The second request is the conversation so far plus the repair message.
			var body struct {
				Messages []struct{ Role, Content string }
			}
			if err := json.Unmarshal(server.request(1).body, &body); err != nil {
				t.Fatal(err)
			}
			roles := []string{"user"}
			if c.assistantTurn {
				roles = append(roles, "assistant")
			}
			roles = append(roles, "user")
			if len(body.Messages) != len(roles) {
				t.Fatalf("second request has %d messages, want %v", len(body.Messages), roles)
			}
			for i, m := range body.Messages {
				if m.Role != roles[i] {
					t.Errorf("message %d has role %s, want %s", i, m.Role, roles[i])
				}
			}
			if last := body.Messages[len(body.Messages)-1].Content; last != second.Request {
				t.Errorf("repair message sent %q, recorded %q", last, second.Request)
			}
			if script := w.Output(o, artifact.ScriptOutput); string(script) != goodScript {
				t.Errorf("script = %q", script)
			}
		})
	}
}

// TestInvalidAfterMaxAttemptsIsCached checks that an answer that stays invalid is a
// deterministic failure: cached as generation_invalid with every attempt, and replayed by
// the next build without a request.
func TestInvalidAfterMaxAttemptsIsCached(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
		answer(w, "print('unclosed'", "stop")
	})
	w := newWorkspace(t, oneCommit(server, "  model = \"m\"\n  prompt = \"p\"\n  max_attempts = 2\n"))
	r := w.build(engine.Options{})
	o := r.only(t)
	if o.Outcome.Status != engine.StatusFailed || o.Outcome.Class != "generation_invalid" || !w.Stored(o) {
		t.Fatalf("want a cached generation_invalid failure, got %+v (cached %v)", o.Outcome, w.Stored(o))
	}
	if !strings.Contains(o.Outcome.Message, "no usable script in 2 attempts") || !strings.Contains(o.Outcome.Message, "does not parse as Python") {
		t.Errorf("message: %s", o.Outcome.Message)
	}
	g := w.generation(o)
	if len(g.Attempts) != 2 || g.Attempts[1].Problem == "" || g.Attempts[1].Response != "print('unclosed'" {
		t.Errorf("attempts = %+v", g.Attempts)
	}
	if server.count() != 2 || r.Summary.ByMnemonic["measure"].Blocked != 1 {
		t.Errorf("%d requests, measure %+v", server.count(), r.Summary.ByMnemonic["measure"])
	}

	r = w.build(engine.Options{})
	if o := r.only(t); !o.Outcome.Cached || o.Outcome.Class != "generation_invalid" || server.count() != 2 {
		t.Errorf("second build: %+v, %d requests", o.Outcome, server.count())
	}
	// --retry-failed asks again.
	w.build(engine.Options{RetryFailed: true})
	if server.count() != 4 {
		t.Errorf("%d requests after --retry-failed, want 4", server.count())
	}
}

func TestExtractCode(t *testing.T) {
	const code = "import time\nprint(1)\n"
	for _, c := range []struct{ name, answer, want string }{
		{"bare", code, code},
		{"bare with blank lines", "\n\n" + code + "\n\n", code},
		{"fenced", "Here it is:\n```python\n" + code + "```\nRun it with python.", code},
		{"fenced py", "```py\n" + code + "```", code},
		{"unmarked fence", "```\n" + code + "```", code},
		{"python over shell", "```bash\npip install torch\n```\n```python\n" + code + "```", code},
		{"longest python block", "```python\nx = 1\n```\nFull script:\n```python\n" + code + "```", code},
		{"only shell", "Run:\n```bash\npython t.py\n```", ""},
		{"unclosed fence", "```python\n" + code, code},
		{"think block", "<think>\nThe diff changes x.\n</think>\n```python\n" + code + "```", code},
		{"crlf and trailing spaces", "```python\r\nimport time  \r\nprint(1)\r\n```", code},
		{"empty", "", ""},
	} {
		if got := extractCode(c.answer); got != c.want {
			t.Errorf("%s: extractCode = %q, want %q", c.name, got, c.want)
		}
	}
}
