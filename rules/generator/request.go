package generator

import (
	"strconv"
	"strings"

	"github.com/isobench/isobench/engine"
	openai "github.com/sashabaranov/go-openai"
)

// isReasoningModel tells OpenAI's reasoning models (the o-series, GPT-5 and later) from the
// rest by their name, the way the API distinguishes them: they take max_completion_tokens
// rather than max_tokens, accept only the default temperature and top_p, and take a
// reasoning_effort. A provider prefix ("openai/gpt-5" on OpenRouter) is ignored. Every
// "gpt-5..." name counts, "gpt-5-chat-latest" too: go-openai refuses to send max_tokens or a
// temperature other than 1 to any of them, and they all accept max_completion_tokens. A
// deployment whose name hides the model (Azure) sets `reasoning` explicitly.
func isReasoningModel(model string) bool {
	name := strings.ToLower(model)
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if len(name) >= 2 && name[0] == 'o' && name[1] >= '1' && name[1] <= '9' {
		return true
	}
	rest, ok := strings.CutPrefix(name, "gpt-")
	return ok && rest != "" && rest[0] >= '5' && rest[0] <= '9'
}

// request builds the chat-completions request of one sample: what the model accepts, and
// nothing else. It also returns every parameter sent, as text (for the key and the record),
// and the parameters set to zero, which go-openai's `omitempty` would drop from the body (a
// temperature of 0 is a real choice: greedy decoding); the transport puts those back.
//
// A seed is offset by the sample index, so the samples of a commit differ and each stays
// reproducible where the endpoint honours seeds.
func (c *Config) request(messages []openai.ChatCompletionMessage, sample int) (openai.ChatCompletionRequest, map[string]string, map[string]any) {
	req := openai.ChatCompletionRequest{Model: c.Model, Messages: messages}
	params := map[string]string{}
	zeros := map[string]any{}
	if c.MaxTokens > 0 {
		if c.Reasoning {
			req.MaxCompletionTokens = c.MaxTokens
			params["max_completion_tokens"] = strconv.Itoa(c.MaxTokens)
		} else {
			req.MaxTokens = c.MaxTokens
			params["max_tokens"] = strconv.Itoa(c.MaxTokens)
		}
	}
	if !c.Reasoning {
		// float32 is what the library sends; the text is that value's shortest form, so the
		// record says exactly what went over the wire.
		if c.Temperature != nil {
			req.Temperature = float32(*c.Temperature)
			params["temperature"] = strconv.FormatFloat(float64(req.Temperature), 'g', -1, 32)
			if req.Temperature == 0 {
				zeros["temperature"] = 0
			}
		}
		if c.TopP != nil {
			req.TopP = float32(*c.TopP)
			params["top_p"] = strconv.FormatFloat(float64(req.TopP), 'g', -1, 32)
		}
	}
	if c.ReasoningEffort != "" {
		req.ReasoningEffort = c.ReasoningEffort
		params["reasoning_effort"] = c.ReasoningEffort
	}
	if c.Seed != nil {
		seed := *c.Seed + sample
		req.Seed = &seed
		params["seed"] = strconv.Itoa(seed)
	}
	return req, params, zeros
}

// endpointLines are the key lines naming where requests go. The API key is never among them;
// the variable that holds it is not either, since renaming it changes no answer.
func (c *Config) endpointLines() []engine.Line {
	lines := []engine.Line{engine.L("endpoint", c.Endpoint)}
	if c.APIType == APIAzure {
		lines = append(lines, engine.L("api_type", "azure"), engine.L("api_version", c.APIVersion))
	}
	return append(lines, engine.L("model", c.Model))
}

// messageLines are the key lines of the rendered messages, named after the attributes they
// come from, so that `status` and `why` say "prompt changed" in the user's words.
func messageLines(messages []openai.ChatCompletionMessage) []engine.Line {
	var lines []engine.Line
	for _, m := range messages {
		name := m.Role
		if m.Role == "user" {
			name = "prompt"
		}
		lines = append(lines, engine.LongLine(name, []byte(m.Content)))
	}
	return lines
}

// attributeOf maps a request parameter named by an endpoint's error to the generator
// attribute that sets it, so that a rejected request tells the user what to change.
func attributeOf(param string) string {
	switch param {
	case "max_tokens", "max_completion_tokens":
		return "max_tokens"
	case "temperature", "top_p", "seed", "reasoning_effort", "model":
		return param
	case "messages", "prompt", "input":
		return "prompt"
	}
	return ""
}

// paramIn finds a request parameter that an error message mentions, for endpoints (vLLM,
// Ollama) that say which parameter they reject only in their message.
func paramIn(message string) string {
	m := strings.ToLower(message)
	// Longer names first: "max_completion_tokens" also contains "max_tokens"'s neighbours.
	for _, p := range []string{"max_completion_tokens", "max_tokens", "reasoning_effort", "temperature", "top_p", "seed"} {
		if strings.Contains(m, p) {
			return p
		}
	}
	if strings.Contains(m, "context length") || strings.Contains(m, "context_length") || strings.Contains(m, "maximum context") {
		return "messages"
	}
	return ""
}
