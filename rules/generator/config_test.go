package generator

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/ruletest"
)

// loadGenerator loads a real workspace whose generators/BUILD.hcl holds body, with only the
// generator kind registered.
func loadGenerator(t *testing.T, body string) (*engine.Workspace, hcl.Diagnostics) {
	t.Helper()
	w := ruletest.New(t, map[string]string{"generators/BUILD.hcl": body}, Kind{})
	return w.TryLoad()
}

// TestConfigDiagnostics checks that each value a generator refuses is refused when the
// workspace is loaded, once, at the place it was written. The block is
//
//	1 generator "llm" {
//	2   prompt = "p"
//	3   <attrs>
//
// so a case's first attribute is on line 3.
func TestConfigDiagnostics(t *testing.T) {
	for _, c := range []struct {
		attrs string
		at    string // line:column of the value
		want  string
	}{
		// Checked by the schema.
		{`  model = ""`, "3:11", "model must not be empty"},
		{"  model = \"m\"\n  max_tokens = 1.5", "4:16", "max_tokens must be a whole number, but it is 1.5."},
		{"  model = \"m\"\n  max_tokens = 0", "4:16", "max_tokens must be at least 1, but it is 0."},
		{"  model = \"m\"\n  samples = 0", "4:13", "samples must be at least 1, but it is 0."},
		{"  model = \"m\"\n  samples = 2.5", "4:13", "samples must be a whole number, but it is 2.5."},
		{"  model = \"m\"\n  max_attempts = 0", "4:18", "max_attempts must be at least 1, but it is 0."},
		{"  model = \"m\"\n  max_retries = -1", "4:17", "max_retries must be at least 0, but it is -1."},
		{"  model = \"m\"\n  concurrency = 0", "4:17", "concurrency must be at least 1, but it is 0."},
		{"  model = \"m\"\n  requests_per_minute = -1", "4:25", "requests_per_minute must be at least 0, but it is -1."},
		{"  model = \"m\"\n  max_diff_chars = -1", "4:20", "max_diff_chars must be at least 0, but it is -1."},
		{"  model = \"m\"\n  timeout = \"0s\"", "4:13", "timeout must be a positive duration"},
		{"  model = \"m\"\n  api_type = \"openrouter\"", "4:14", `"openrouter" is not one of "openai", "azure".`},
		// Checked by decode.
		{"  model = \"m\"\n  base_url = \"localhost:8000\"", "4:14", `"localhost:8000" is not an http or https URL`},
		{"  model = \"m\"\n  temperature = 2.5", "4:17", "temperature must be between 0 and 2, but it is 2.5."},
		{"  model = \"m\"\n  top_p = 0", "4:11", "top_p must be greater than 0 and at most 1, but it is 0."},
		{"  model = \"m\"\n  api_type = \"azure\"", "4:14", "An Azure endpoint needs api_version"},
	} {
		name := strings.TrimSpace(c.attrs[strings.LastIndex(c.attrs, "\n")+1:])
		t.Run(name, func(t *testing.T) {
			_, diags := loadGenerator(t, "generator \"llm\" {\n  prompt = \"p\"\n"+c.attrs+"\n}\n")
			if len(diags) != 1 {
				t.Fatalf("%d diagnostics, want 1: %v", len(diags), diags)
			}
			d := diags[0]
			if d.Severity != hcl.DiagError || !strings.Contains(d.Detail, c.want) {
				t.Errorf("diagnostic %q (severity %v), want an error saying %q", d.Detail, d.Severity, c.want)
			}
			if got, want := ruletest.Position(d.Subject), "generators/BUILD.hcl:"+c.at; got != want {
				t.Errorf("diagnostic at %s, want %s", got, want)
			}
		})
	}
}

// TestConfigDecode checks the typed config of a generator that leaves every optional
// attribute out (the defaults) and of one that sets them all.
func TestConfigDecode(t *testing.T) {
	seed := 7
	temperature, topP := 0.0, 0.9
	for _, c := range []struct {
		name, attrs string
		want        Config
	}{
		{"defaults", `  model = "gpt-5"`, Config{
			Endpoint: defaultBaseURL, APIType: APIOpenAI, Model: "gpt-5", Reasoning: true,
			Samples: 1, MaxAttempts: defaultMaxAttempts, MaxRetries: defaultMaxRetries, Timeout: defaultTimeout,
			Concurrency: defaultConcurrency, MaxDiffChars: defaultMaxDiffChars,
		}},
		{"all set", `  base_url = "https://example.com/openai/"
  api_key_env = "KEY"
  api_type = "azure"
  api_version = "2024-10-21"
  model = "gpt-5"
  reasoning = false
  max_tokens = 2000
  temperature = 0
  top_p = 0.9
  seed = 7
  reasoning_effort = "low"
  samples = 3
  max_attempts = 2
  max_retries = 0
  timeout = "90s"
  concurrency = 2
  requests_per_minute = 60
  max_diff_chars = 0`, Config{
			Endpoint: "https://example.com/openai", APIKeyEnv: "KEY", APIType: APIAzure, APIVersion: "2024-10-21",
			Model: "gpt-5", Reasoning: false, MaxTokens: 2000, Temperature: &temperature, TopP: &topP, Seed: &seed,
			ReasoningEffort: "low", Samples: 3, MaxAttempts: 2, MaxRetries: 0, Timeout: 90 * time.Second,
			Concurrency: 2, RequestsPerMinute: 60, MaxDiffChars: 0,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws, diags := loadGenerator(t, "generator \"llm\" {\n  prompt = \"p\"\n"+c.attrs+"\n}\n")
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			label := engine.Label{Pkg: "generators", Name: "llm"}
			got := *ws.Targets[label].Config.(*Config)
			if !got.Prompt.IsSet() || got.System.IsSet() {
				t.Errorf("prompt set: %v, system set: %v; want true, false", got.Prompt.IsSet(), got.System.IsSet())
			}
			if r := got.ranges["prompt"]; r.Start.Line != 2 {
				t.Errorf("prompt recorded at line %d, want 2", r.Start.Line)
			}
			got.System, got.Prompt, got.ranges = engine.LateAttr{}, engine.LateAttr{}, nil
			want := c.want
			want.Label = label
			if !reflect.DeepEqual(got, want) {
				t.Errorf("config\n got %+v\nwant %+v", got, want)
			}
		})
	}
}
