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
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
)

// Defaults of the attributes a generator may leave out; each says why it is what it is.
const (
	defaultBaseURL = "https://api.openai.com/v1"
	// Three attempts: a repair message fixes most bad answers on the second try, and a model
	// that fails twice in a row on the same prompt rarely succeeds on a fourth.
	defaultMaxAttempts = 3
	// Six retries of a transient error with exponential backoff from 1 s (capped at 60 s)
	// cover about two minutes of an endpoint's outage or rate limiting.
	defaultMaxRetries = 6
	// Reasoning models at high effort can think for several minutes before the first token;
	// ten minutes leaves them room while still catching a connection that hangs.
	defaultTimeout = 10 * time.Minute
	// Four requests at once keep a local vLLM or Ollama server busy without flooding it, and
	// stay well inside the lowest OpenAI usage tier's limits.
	defaultConcurrency = 4
	// 40,000 bytes of diff is about 10,000 tokens: with a system prompt and a 3,000-token
	// answer it still fits the 32k context of common local models.
	defaultMaxDiffChars = 40000
)

// Kind is the `generator` target kind.
type Kind struct{}

// Name implements engine.Kind.
func (Kind) Name() string { return "generator" }

// Schema implements engine.Kind. Only `system` and `prompt` may mention `commit`: everything
// else describes the endpoint and the request, which are the same for every commit.
func (Kind) Schema() *engine.Schema {
	return &engine.Schema{Attrs: []engine.Attr{
		{Name: "base_url", Type: engine.TypeString},
		{Name: "api_key_env", Type: engine.TypeString},
		{Name: "api_type", Type: engine.TypeString, OneOf: []string{"openai", "azure"}},
		{Name: "api_version", Type: engine.TypeString},
		{Name: "model", Type: engine.TypeString, Required: true},
		{Name: "reasoning", Type: engine.TypeBool},
		{Name: "system", Type: engine.TypeString, Late: true},
		{Name: "prompt", Type: engine.TypeString, Required: true, Late: true},
		{Name: "max_tokens", Type: engine.TypeNumber},
		{Name: "temperature", Type: engine.TypeNumber},
		{Name: "top_p", Type: engine.TypeNumber},
		{Name: "seed", Type: engine.TypeNumber},
		{Name: "reasoning_effort", Type: engine.TypeString},
		{Name: "samples", Type: engine.TypeNumber},
		{Name: "max_attempts", Type: engine.TypeNumber},
		{Name: "max_retries", Type: engine.TypeNumber},
		{Name: "timeout", Type: engine.TypeDuration},
		{Name: "concurrency", Type: engine.TypeNumber},
		{Name: "requests_per_minute", Type: engine.TypeNumber},
		{Name: "max_diff_chars", Type: engine.TypeNumber},
	}}
}

// settings are a generator target's attributes with defaults applied.
type settings struct {
	target      *engine.Target
	endpoint    string // base_url without its trailing slash
	apiKeyEnv   string
	azure       bool
	apiVersion  string
	model       string
	reasoning   bool
	maxTokens   int
	temperature *float64
	topP        *float64
	seed        *int
	effort      string
	samples     int
	maxAttempts int
	maxRetries  int
	timeout     time.Duration
	concurrency int
	rpm         int
	maxDiff     int
}

func decode(t *engine.Target) *settings {
	s := &settings{
		target:      t,
		endpoint:    strings.TrimRight(t.String("base_url"), "/"),
		apiKeyEnv:   t.String("api_key_env"),
		azure:       t.String("api_type") == "azure",
		apiVersion:  t.String("api_version"),
		model:       t.String("model"),
		maxTokens:   t.Int("max_tokens", 0),
		effort:      t.String("reasoning_effort"),
		samples:     t.Int("samples", 1),
		maxAttempts: t.Int("max_attempts", defaultMaxAttempts),
		maxRetries:  t.Int("max_retries", defaultMaxRetries),
		timeout:     t.Duration("timeout", defaultTimeout),
		concurrency: t.Int("concurrency", defaultConcurrency),
		rpm:         t.Int("requests_per_minute", 0),
		maxDiff:     t.Int("max_diff_chars", defaultMaxDiffChars),
	}
	if s.endpoint == "" {
		s.endpoint = defaultBaseURL
	}
	s.reasoning = t.Bool("reasoning", isReasoningModel(s.model))
	if t.Has("temperature") {
		v := t.Float("temperature", 0)
		s.temperature = &v
	}
	if t.Has("top_p") {
		v := t.Float("top_p", 0)
		s.topP = &v
	}
	if t.Has("seed") {
		v := t.Int("seed", 0)
		s.seed = &v
	}
	return s
}

// pool is the name of the resource pool shared by every action that talks to this endpoint.
func (s *settings) pool() string { return "llm:" + s.endpoint }

// where names an attribute for the user: the target and the place it was written.
func (s *settings) where(attr string) string {
	r := s.target.AttrRange(attr)
	return fmt.Sprintf("the attribute %s of %s (%s:%d)", attr, s.target.Label, r.Filename, r.Start.Line)
}

// Check implements engine.Decoder: values the types alone do not rule out, and parameters a
// reasoning model will not be sent (a warning, since the build can go on without them).
func (k Kind) Decode(t *engine.Target) (any, hcl.Diagnostics) { return nil, k.check(t) }

// check is the old Check, until the kind decodes into a typed config.
func (Kind) check(t *engine.Target) hcl.Diagnostics {
	var diags hcl.Diagnostics
	bad := func(attr, format string, args ...any) {
		r := t.AttrRange(attr)
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + attr,
			Detail: fmt.Sprintf(format, args...), Subject: &r})
	}
	s := decode(t)
	if u, err := url.Parse(s.endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base_url", "%q is not an http or https URL; write it like \"https://api.openai.com/v1\" or \"http://localhost:8000/v1\".", s.endpoint)
	}
	atLeast := func(attr string, v, min int) {
		if t.Has(attr) && v < min {
			bad(attr, "%s must be at least %d, but it is %d.", attr, min, v)
		}
	}
	atLeast("max_tokens", s.maxTokens, 1)
	atLeast("samples", s.samples, 1)
	atLeast("max_attempts", s.maxAttempts, 1)
	atLeast("max_retries", s.maxRetries, 0)
	atLeast("concurrency", s.concurrency, 1)
	atLeast("requests_per_minute", s.rpm, 0)
	atLeast("max_diff_chars", s.maxDiff, 0)
	if s.temperature != nil && (*s.temperature < 0 || *s.temperature > 2) {
		bad("temperature", "temperature must be between 0 and 2, but it is %s.", strconv.FormatFloat(*s.temperature, 'g', -1, 64))
	}
	if s.topP != nil && (*s.topP <= 0 || *s.topP > 1) {
		bad("top_p", "top_p must be greater than 0 and at most 1, but it is %s.", strconv.FormatFloat(*s.topP, 'g', -1, 64))
	}
	if t.Has("timeout") && s.timeout <= 0 {
		bad("timeout", "timeout must be a positive duration such as \"10m\".")
	}
	if s.azure && s.apiVersion == "" {
		bad("api_type", "An Azure endpoint needs api_version, such as \"2024-10-21\", next to api_type = \"azure\".")
	}
	if s.reasoning {
		for _, attr := range []string{"temperature", "top_p"} {
			if t.Has(attr) {
				r := t.AttrRange(attr)
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: attr + " is not sent to a reasoning model",
					Detail: fmt.Sprintf("The model %q is a reasoning model, which accepts only the default %s; isobench leaves %s out of the request. Set reasoning = false if this model is not one.",
						s.model, attr, attr),
					Subject: &r})
			}
		}
	}
	return diags
}

// Plan implements engine.Kind. A generator alone produces nothing to measure: its action
// records the generator's settings without running anything or reaching the endpoint, so that
// `isobench build //generators:all` succeeds offline and `status` can show the target.
func (Kind) Plan(p *engine.Planner, t *engine.Target) (*engine.Action, error) {
	s := decode(t)
	return &engine.Action{
		ID:       "generator " + t.Label.String(),
		Mnemonic: "generator",
		Label:    t.Label,
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			_, params, _ := s.request(nil, 0)
			return engine.SettingsWork(ruleVersion, append(s.endpointLines(), engine.MapLines("param", params)...)), nil
		},
	}, nil
}

// PlanFor implements engine.PerCommit: the generate action of one commit and one sample.
// side is "head" (or "") for sample 0, and "head#k" for sample k; a generator writes a test
// for a commit as a whole, so the base side is refused.
func (Kind) PlanFor(p *engine.Planner, t *engine.Target, commit *engine.Action, side string) (*engine.Action, error) {
	s := decode(t)
	sample, err := parseSide(side, s.samples)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Label, err)
	}
	p.Pool(s.pool(), s.concurrency)
	return &engine.Action{
		ID:       fmt.Sprintf("generate %s @ %s #%d", t.Label, commit.ID, sample),
		Mnemonic: "generate",
		Label:    t.Label,
		Deps:     []*engine.Action{commit},
		Prepare: func(ctx context.Context, in *engine.Inputs) (*engine.Work, error) {
			return s.prepare(in, commit, sample)
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
