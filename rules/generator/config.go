package generator

import (
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

// APIType is the dialect of the chat-completions API an endpoint speaks.
type APIType string

const (
	APIOpenAI APIType = "openai" // OpenAI and every server compatible with it (vLLM, Ollama)
	APIAzure  APIType = "azure"  // Azure OpenAI: deployments in the path, api-version in the query
)

// Config is a generator target as its BUILD.hcl declares it, with defaults applied.
type Config struct {
	Label      engine.Label
	Endpoint   string // base_url without its trailing slash
	APIKeyEnv  string // the environment variable holding the key; "" sends none
	APIType    APIType
	APIVersion string
	Model      string
	// Reasoning says whether the model takes max_completion_tokens and no sampling
	// parameters; it defaults to what the model's name says.
	Reasoning bool
	System    engine.LateAttr // may mention commit
	Prompt    engine.LateAttr // may mention commit
	MaxTokens int             // 0: not sent
	// Temperature, TopP and Seed are nil when not written, so that the request leaves them
	// out rather than sending a zero.
	Temperature       *float64
	TopP              *float64
	Seed              *int
	ReasoningEffort   string
	Samples           int
	MaxAttempts       int
	MaxRetries        int
	Timeout           time.Duration
	Concurrency       int
	RequestsPerMinute int // 0: no limit
	MaxDiffChars      int // 0: no budget

	// ranges holds where each attribute was written (the block when it was not), so that a
	// request the endpoint rejects can name the attribute to change.
	ranges map[string]hcl.Range
}

// decode reads a generator target. The schema has checked types, whole numbers, minimums, a
// non-empty model and a positive timeout; decode checks what the schema cannot (a URL, a
// range of numbers, attributes that go together) and warns about parameters a reasoning model
// will not be sent, since the build can go on without them.
func decode(t *engine.Target) (*Config, hcl.Diagnostics) {
	c := &Config{
		Label:             t.Label,
		Endpoint:          strings.TrimRight(t.String("base_url"), "/"),
		APIKeyEnv:         t.String("api_key_env"),
		APIType:           APIType(t.String("api_type")),
		APIVersion:        t.String("api_version"),
		Model:             t.String("model"),
		System:            t.Late("system"),
		Prompt:            t.Late("prompt"),
		MaxTokens:         t.Int("max_tokens", 0),
		ReasoningEffort:   t.String("reasoning_effort"),
		Samples:           t.Int("samples", 1),
		MaxAttempts:       t.Int("max_attempts", defaultMaxAttempts),
		MaxRetries:        t.Int("max_retries", defaultMaxRetries),
		Timeout:           t.Duration("timeout", defaultTimeout),
		Concurrency:       t.Int("concurrency", defaultConcurrency),
		RequestsPerMinute: t.Int("requests_per_minute", 0),
		MaxDiffChars:      t.Int("max_diff_chars", defaultMaxDiffChars),
		ranges:            map[string]hcl.Range{},
	}
	for _, a := range (Kind{}).Schema().Attrs {
		c.ranges[a.Name] = t.AttrRange(a.Name)
	}
	if c.Endpoint == "" {
		c.Endpoint = defaultBaseURL
	}
	if c.APIType == "" {
		c.APIType = APIOpenAI
	}
	c.Reasoning = t.Bool("reasoning", isReasoningModel(c.Model))
	if t.Has("temperature") {
		v := t.Float("temperature", 0)
		c.Temperature = &v
	}
	if t.Has("top_p") {
		v := t.Float("top_p", 0)
		c.TopP = &v
	}
	if t.Has("seed") {
		v := t.Int("seed", 0)
		c.Seed = &v
	}

	var diags hcl.Diagnostics
	bad := func(attr, format string, args ...any) {
		r := c.ranges[attr]
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + attr,
			Detail: fmt.Sprintf(format, args...), Subject: &r})
	}
	if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base_url", "%q is not an http or https URL; write it like \"https://api.openai.com/v1\" or \"http://localhost:8000/v1\".", c.Endpoint)
	}
	if c.Temperature != nil && (*c.Temperature < 0 || *c.Temperature > 2) {
		bad("temperature", "temperature must be between 0 and 2, but it is %s.", strconv.FormatFloat(*c.Temperature, 'g', -1, 64))
	}
	if c.TopP != nil && (*c.TopP <= 0 || *c.TopP > 1) {
		bad("top_p", "top_p must be greater than 0 and at most 1, but it is %s.", strconv.FormatFloat(*c.TopP, 'g', -1, 64))
	}
	if c.APIType == APIAzure && c.APIVersion == "" {
		bad("api_type", "An Azure endpoint needs api_version, such as \"2024-10-21\", next to api_type = \"azure\".")
	}
	if c.Reasoning {
		for _, attr := range []string{"temperature", "top_p"} {
			if t.Has(attr) {
				r := c.ranges[attr]
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: attr + " is not sent to a reasoning model",
					Detail: fmt.Sprintf("The model %q is a reasoning model, which accepts only the default %s; isobench leaves %s out of the request. Set reasoning = false if this model is not one.",
						c.Model, attr, attr),
					Subject: &r})
			}
		}
	}
	return c, diags
}

// pool is the name of the resource pool shared by every action that talks to this endpoint.
func (c *Config) pool() string { return "llm:" + c.Endpoint }

// where names an attribute for the user: the target and the place it was written.
func (c *Config) where(attr string) string {
	r := c.ranges[attr]
	return fmt.Sprintf("the attribute %s of %s (%s:%d)", attr, c.Label, r.Filename, r.Start.Line)
}
