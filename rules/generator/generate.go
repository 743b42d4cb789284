package generator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	openai "github.com/sashabaranov/go-openai"
)

// ruleVersion enters every key of this kind; bump it when extraction, checking or repair
// change what a generation yields.
const ruleVersion = 1

// MessagesOutput is an output of a generate action next to artifact.ScriptOutput and
// artifact.GenerationOutput: the rendered messages of the first request (JSON), so that the
// exact prompt a test came from can be read back. Keys carry only its digest.
const MessagesOutput = "messages"

// prepare renders the prompt for a commit and describes the request; nothing is sent. It runs
// in `status` too, so a prompt edit shows there as a changed message line.
func (c *Config) prepare(in *engine.Inputs, commit *engine.Action, sample int) (*engine.Work, error) {
	var facts artifact.CommitFacts
	if err := in.DecodeOutput(commit, artifact.CommitOutput, &facts); err != nil {
		return nil, fmt.Errorf("the facts of %s cannot be read: %w", commit.ID, err)
	}
	messages, cut, err := c.render(&facts)
	if err != nil {
		return nil, engine.Fail("prompt_invalid", "The prompt of %s cannot be rendered for commit %s: %s.",
			c.Label, facts.Short, strings.TrimSuffix(err.Error(), "."))
	}
	req, params, zeros := c.request(messages, sample)
	lines := c.endpointLines()
	lines = append(lines, engine.MapLines("param", params)...)
	lines = append(lines, messageLines(messages)...)
	lines = append(lines, engine.L("sample", sample))
	j := &job{cfg: c, req: req, zeros: zeros, gen: artifact.Generation{
		Generator: c.Label.String(),
		Endpoint:  c.Endpoint,
		Model:     c.Model,
		Params:    params,
		Sample:    sample,
		PromptCut: cut,
	}}
	return &engine.Work{
		RuleVersion: ruleVersion,
		Lines:       lines,
		Needs:       engine.Needs{Pools: map[string]int{c.pool(): 1}},
		Run:         j.run,
		// The prompt comes from the config (its files through file() and templatefile(),
		// which the record stamps) and the commit's facts; nothing is asked before Run.
		Recordable: true,
	}, nil
}

// job is one prepared generation.
type job struct {
	cfg   *Config
	req   openai.ChatCompletionRequest
	zeros map[string]any
	gen   artifact.Generation
}

// run asks the model until an answer holds a script that parses, up to max_attempts. Each
// unusable answer is followed by a short message naming its problem, in the same
// conversation, so the model sees what it wrote. Every attempt is kept in the record.
func (j *job) run(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
	c := j.cfg
	key := ""
	if c.APIKeyEnv != "" {
		if key = os.Getenv(c.APIKeyEnv); key == "" {
			return engine.Transient("missing_api_key",
				"The generator %s must ask %s for a test, but the environment variable %s, which should hold its API key, is not set.",
				c.Label, c.Endpoint, c.APIKeyEnv), nil
		}
	}
	t := &transport{client: &http.Client{Timeout: c.Timeout}, zeros: j.zeros}
	client := c.newClient(key, t)
	gen := j.gen
	var tokensIn, tokensOut int64
	finish := func(r *engine.Result) (*engine.Result, error) {
		if key != "" {
			r.Message = strings.ReplaceAll(r.Message, key, "[API key]")
		}
		r.Counters = map[string]int64{"requests": t.requests}
		if tokensIn+tokensOut > 0 {
			r.Counters["tokens_in:"+c.Model] = tokensIn
			r.Counters["tokens_out:"+c.Model] = tokensOut
		}
		record, err := json.MarshalIndent(gen, "", "  ")
		if err != nil {
			return nil, err
		}
		messages, err := json.MarshalIndent(j.req.Messages, "", "  ")
		if err != nil {
			return nil, err
		}
		if r.Outputs == nil {
			r.Outputs = map[string][]byte{}
		}
		r.Outputs[artifact.GenerationOutput] = record
		r.Outputs[MessagesOutput] = messages
		r.Meta = gen
		return r, nil
	}

	conv := append([]openai.ChatCompletionMessage(nil), j.req.Messages...)
	repair := ""
	for attempt := 1; attempt <= c.MaxAttempts; attempt++ {
		req := j.req
		req.Messages = conv
		resp, f := c.complete(ctx, client, req, x.Log)
		if f != nil {
			return finish(engine.Transient(f.class, "%s", f.message))
		}
		choice := resp.Choices[0]
		a := artifact.Attempt{
			Request:      repair,
			Response:     choice.Message.Content,
			FinishReason: string(choice.FinishReason),
			ServedModel:  resp.Model,
			PromptTokens: resp.Usage.PromptTokens,
			OutputTokens: resp.Usage.CompletionTokens,
		}
		tokensIn += int64(a.PromptTokens)
		tokensOut += int64(a.OutputTokens)
		code := extractCode(a.Response)
		problem, fix, err := judge(ctx, a, code, x.TempDir)
		if err != nil {
			return finish(engine.Transient("python_unavailable", "%s", err))
		}
		a.Problem = problem
		gen.Attempts = append(gen.Attempts, a)
		fmt.Fprintf(x.Log, "attempt %d: finish_reason %q, %d tokens in, %d out, served by %q", attempt,
			a.FinishReason, a.PromptTokens, a.OutputTokens, a.ServedModel)
		if problem == "" {
			fmt.Fprintf(x.Log, ": %d lines of Python\n", strings.Count(code, "\n"))
			return finish(engine.OK(map[string][]byte{artifact.ScriptOutput: []byte(code)}, nil))
		}
		fmt.Fprintf(x.Log, ": %s\n", problem)
		repair = fix
		// An assistant turn without content is rejected by OpenAI's API, so an empty answer
		// is followed by the repair message alone.
		if strings.TrimSpace(a.Response) != "" {
			conv = append(conv, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: a.Response})
		}
		conv = append(conv, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: repair})
	}
	last := gen.Attempts[len(gen.Attempts)-1].Problem
	return finish(engine.Failed("generation_invalid", "The model gave no usable script in %d attempts; in the last, %s.",
		len(gen.Attempts), last))
}

// judge says what is wrong with an answer ("" when nothing is) and the repair message that
// names it to the model. A cut-off answer is reported as such even when what arrived happens
// to parse: the end of the script is missing.
func judge(ctx context.Context, a artifact.Attempt, code, dir string) (problem, fix string, err error) {
	const reply = " Reply with the complete script only."
	switch {
	case a.FinishReason == string(openai.FinishReasonLength):
		return "the answer was cut off at the token limit (finish_reason = length)",
			"Your answer was cut off at the token limit before the script was complete. Write a shorter script." + reply, nil
	case strings.TrimSpace(a.Response) == "":
		return "the answer was empty", "Your answer was empty." + reply, nil
	case code == "":
		return "the answer held no Python code", "Your answer held no Python code." + reply, nil
	}
	syntax, err := checkSyntax(ctx, code, dir)
	if err != nil || syntax == "" {
		return "", "", err
	}
	return "the code does not parse as Python (" + syntax + ")",
		"Your script does not parse as Python (" + syntax + "). Fix it." + reply, nil
}
