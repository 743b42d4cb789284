// Package generator implements the `generator` target kind: a language model, reached through
// any OpenAI-compatible chat-completions endpoint, that writes one performance test per commit.
//
// A generator target plans nothing heavy by itself. Benchmarks reach it per commit through
// Planner.PlanFor, which yields one "generate" action per commit and sample. That action renders
// the prompt template with the commit's facts (cheap, in Prepare), and only when no result is
// cached asks the model, extracts the Python code from the answer, checks its syntax with the
// machine's Python and retries with a short repair message when the answer is unusable.
//
// The key of a generate action is the endpoint, the model, every request parameter, the
// rendered messages, the sample index and the rule version; never the API key and never a
// scheduling hint (concurrency, timeout, retries). The first answer is recorded and replayed
// for as long as those stay the same, so a rerun makes no request and needs no key, and a
// prompt edit regenerates exactly the tests whose rendered prompt changed.
package generator

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// Kind is the `generator` target kind.
type Kind struct{}

var _ engine.Kind = Kind{}
var _ engine.Decoder = Kind{}
var _ engine.PerCommit = Kind{}

// Name implements engine.Kind.
func (Kind) Name() string { return "generator" }

// Schema implements engine.Kind. Only `system` and `prompt` may mention `commit`: everything
// else describes the endpoint and the request, which are the same for every commit.
func (Kind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "base_url", Type: engine.TypeString},
		{Name: "api_key_env", Type: engine.TypeString},
		{Name: "api_type", Type: engine.TypeString, OneOf: []string{string(APIOpenAI), string(APIAzure)}},
		{Name: "api_version", Type: engine.TypeString},
		{Name: "model", Type: engine.TypeString, Required: true, NonEmpty: true},
		{Name: "reasoning", Type: engine.TypeBool},
		{Name: "system", Type: engine.TypeString, Late: true},
		{Name: "prompt", Type: engine.TypeString, Required: true, Late: true},
		{Name: "max_tokens", Type: engine.TypeInt, Min: engine.AtLeast(1)},
		{Name: "temperature", Type: engine.TypeNumber},
		{Name: "top_p", Type: engine.TypeNumber},
		{Name: "seed", Type: engine.TypeNumber},
		{Name: "reasoning_effort", Type: engine.TypeString},
		{Name: "samples", Type: engine.TypeInt, Min: engine.AtLeast(1)},
		{Name: "max_attempts", Type: engine.TypeInt, Min: engine.AtLeast(1)},
		{Name: "max_retries", Type: engine.TypeInt, Min: engine.AtLeast(0)},
		{Name: "timeout", Type: engine.TypeDuration, Positive: true},
		{Name: "concurrency", Type: engine.TypeInt, Min: engine.AtLeast(1)},
		{Name: "requests_per_minute", Type: engine.TypeInt, Min: engine.AtLeast(0)},
		{Name: "max_diff_chars", Type: engine.TypeInt, Min: engine.AtLeast(0)},
	}}
}

// Decode implements engine.Decoder.
func (Kind) Decode(t *engine.Target) (any, hcl.Diagnostics) { return decode(t) }

// Plan implements engine.Kind. A generator alone produces nothing to measure: its action
// records the generator's settings without running anything or reaching the endpoint, so that
// `isobench build //generators:all` succeeds offline and `status` can show the target.
func (Kind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	c := t.Config.(*Config)
	return &engine.Action{
		ID:       "generator " + t.Label.String(),
		Mnemonic: "generator",
		Label:    t.Label,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			_, params, _ := c.request(nil, 0)
			return engine.SettingsWork(ruleVersion, append(c.endpointLines(), engine.MapLines("param", params)...)), nil
		},
	}, nil
}

// PlanFor implements engine.PerCommit: the generate action of one commit and one sample.
// side is "head" (or "") for sample 0, and "head#k" for sample k; a generator writes a test
// for a commit as a whole, so the base side is refused.
func (Kind) PlanFor(p *engine.Planner, t *engine.Target, commit *engine.Action, side string) (*engine.Action, error) {
	c := t.Config.(*Config)
	sample, err := parseSide(side, c.Samples)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Label, err)
	}
	p.Pool(c.pool(), c.Concurrency)
	return &engine.Action{
		ID:       fmt.Sprintf("generate %s @ %s #%d", t.Label, commit.ID, sample),
		Mnemonic: "generate",
		Label:    t.Label,
		Produces: []string{artifact.GenerationOutput, artifact.ScriptOutput},
		Deps:     []*engine.Action{commit},
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return c.prepare(in, commit, sample)
		},
	}, nil
}

func parseSide(side string, samples int) (int, error) {
	if side == "" || side == "head" {
		return 0, nil
	}
	rest, ok := strings.CutPrefix(side, "head#")
	k, err := strconv.Atoi(rest)
	if !ok || err != nil || k < 0 {
		return 0, fmt.Errorf("a generator writes one test per commit: ask for side \"head\" or \"head#k\" (sample k), not %q", side)
	}
	if k >= samples {
		return 0, fmt.Errorf("sample %d was asked for, but the generator declares samples = %d (samples are numbered from 0)", k, samples)
	}
	return k, nil
}
