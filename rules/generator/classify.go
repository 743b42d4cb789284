package generator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	openai "github.com/sashabaranov/go-openai"
)

// A generator also classifies: a commit search names a generator whose prompt asks whether a
// commit is a performance commit, and this file asks it, with the same endpoint, model,
// parameters, prompt rendering, diff budget, retries and rate limits as a test generation.
// Only the answer differs: one JSON object in the format documented on engine.Answer,
// parsed strictly.

// classifyVersion enters every classification's key; bump it when parsing or repair change
// what an answer yields.
const classifyVersion = 1

var _ engine.Classifier = Kind{}

// Classifier implements engine.Classifier.
func (Kind) Classifier(p *engine.Planner, t *engine.Target) (engine.Judge, error) {
	c := t.Config.(*Config)
	p.Pool(c.pool(), c.Concurrency)
	return &classifier{cfg: c}, nil
}

// classifier is a generator target asked to judge commits.
type classifier struct{ cfg *Config }

func (k *classifier) Lines() []engine.Line {
	_, params, _ := k.cfg.request(nil, 0)
	lines := append(k.cfg.endpointLines(), engine.MapLines("param", params)...)
	return append(lines, engine.L("classifier.version", classifyVersion))
}

func (k *classifier) Needs() engine.Needs {
	return engine.Needs{Pools: map[string]int{k.cfg.pool(): k.cfg.Concurrency}}
}

func (k *classifier) Concurrency() int { return k.cfg.Concurrency }

// Question renders the prompt for one commit; the lines name the messages as a generation's
// do, so `isobench why` says "prompt changed".
func (k *classifier) Question(facts []byte) (*engine.Question, error) {
	c := k.cfg
	var f artifact.CommitFacts
	if err := json.Unmarshal(facts, &f); err != nil {
		return nil, fmt.Errorf("the facts handed to %s cannot be read: %w", c.Label, err)
	}
	messages, _, err := c.render(&f)
	if err != nil {
		return nil, engine.Fail("prompt_invalid", "The prompt of %s cannot be rendered for commit %s: %s.",
			c.Label, f.Short, strings.TrimSuffix(err.Error(), "."))
	}
	req, _, zeros := c.request(messages, 0)
	return &engine.Question{Lines: messageLines(messages), Ask: func(ctx context.Context, log io.Writer) *engine.Answer {
		return c.ask(ctx, req, zeros, log)
	}}, nil
}

// ask sends the question until an answer parses, up to max_attempts, each unusable answer
// followed in the same conversation by a message naming its problem.
func (c *Config) ask(ctx context.Context, req openai.ChatCompletionRequest, zeros map[string]any, log io.Writer) *engine.Answer {
	key := ""
	if c.APIKeyEnv != "" {
		if key = os.Getenv(c.APIKeyEnv); key == "" {
			return &engine.Answer{Failure: engine.Transient("missing_api_key",
				"The generator %s must classify a commit, but the environment variable %s, which should hold its API key, is not set.",
				c.Label, c.APIKeyEnv)}
		}
	}
	t := &transport{client: &http.Client{Timeout: c.Timeout}, zeros: zeros}
	client := c.newClient(key, t)
	a := &engine.Answer{Counters: map[string]int64{}}
	defer func() {
		a.Counters["requests"] = t.requests
		if a.Failure != nil && key != "" {
			a.Failure.Message = strings.ReplaceAll(a.Failure.Message, key, "[API key]")
		}
	}()
	conv := append([]openai.ChatCompletionMessage(nil), req.Messages...)
	problem := ""
	for attempt := 1; attempt <= c.MaxAttempts; attempt++ {
		r := req
		r.Messages = conv
		resp, f := c.complete(ctx, client, r, log)
		if f != nil {
			a.Failure = engine.Transient(f.class, "%s", f.message)
			return a
		}
		choice := resp.Choices[0]
		a.Raw, a.Model = choice.Message.Content, resp.Model
		a.Counters["tokens_in:"+c.Model] += int64(resp.Usage.PromptTokens)
		a.Counters["tokens_out:"+c.Model] += int64(resp.Usage.CompletionTokens)
		var v *engine.Verdict
		if choice.FinishReason == openai.FinishReasonLength {
			problem = "the answer was cut off at the token limit (finish_reason = length)"
		} else {
			v, problem = ParseVerdict(a.Raw)
		}
		if problem == "" {
			fmt.Fprintf(log, "attempt %d: performance=%t: %s\n", attempt, v.Performance, v.Reason)
			a.Verdict = v
			return a
		}
		fmt.Fprintf(log, "attempt %d: %s\n", attempt, problem)
		if strings.TrimSpace(a.Raw) != "" {
			conv = append(conv, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: a.Raw})
		}
		conv = append(conv, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: "Your answer cannot be used: " +
			problem + `. Reply with one JSON object only: {"performance": true or false, "reason": "one sentence", "apis": ["..."]}.`})
	}
	a.Invalid = fmt.Sprintf("no usable answer in %d attempts; in the last, %s", c.MaxAttempts, problem)
	return a
}

// jsonFence matches an answer that is one fenced block (```json or ```), possibly with blank
// lines around it.
var jsonFence = regexp.MustCompile("(?s)^\\s*```[ \t]*(?:json|JSON)?[ \t]*\n(.*?)\n[ \t]*```\\s*$")

// ParseVerdict reads a classification answer strictly: one JSON object, bare or alone in a
// fenced block, after an optional <think> block; "performance" a boolean and "reason" a
// non-empty string, both required; "apis" a list of strings or absent; nothing else. It
// returns the problem in words when the answer is not that.
func ParseVerdict(answer string) (*engine.Verdict, string) {
	text := strings.TrimSpace(thinkBlock.ReplaceAllString(answer, ""))
	if m := jsonFence.FindStringSubmatch(text); m != nil {
		text = strings.TrimSpace(m[1])
	}
	if text == "" {
		return nil, "the answer was empty"
	}
	var raw struct {
		Performance *bool     `json:"performance"`
		Reason      *string   `json:"reason"`
		APIs        *[]string `json:"apis"`
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, "the answer is not the JSON object asked for (" + err.Error() + ")"
	}
	if strings.TrimSpace(text[dec.InputOffset():]) != "" {
		return nil, "the answer holds more than one JSON object, or text after it"
	}
	switch {
	case raw.Performance == nil:
		return nil, `the answer has no "performance" field (true or false)`
	case raw.Reason == nil || strings.TrimSpace(*raw.Reason) == "":
		return nil, `the answer has no "reason" (one sentence)`
	}
	v := &engine.Verdict{Performance: *raw.Performance, Reason: strings.TrimSpace(*raw.Reason), APIs: []string{}}
	if raw.APIs != nil {
		for _, api := range *raw.APIs {
			if api = strings.TrimSpace(api); api != "" {
				v.APIs = append(v.APIs, api)
			}
		}
	}
	return v, ""
}
