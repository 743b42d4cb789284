package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// retryBase is the first backoff between retries of a transient error; it doubles with each
// retry up to retryCap, and is drawn between half and all of that ("equal jitter") so that
// actions failing together do not retry together. A variable so tests can shorten it.
var retryBase = time.Second

const (
	retryCap = time.Minute
	// A Retry-After longer than this is not waited for: the build fails transiently and says
	// when to try again, rather than sit idle for an hour.
	maxRetryAfter = 10 * time.Minute
)

// transport is the HTTP client go-openai sends through. It counts the requests made, for the
// build summary, and puts back the zero-valued parameters the library's `omitempty` drops.
type transport struct {
	client   *http.Client
	zeros    map[string]any
	requests int64
}

func (t *transport) Do(req *http.Request) (*http.Response, error) {
	t.requests++
	if len(t.zeros) > 0 && req.Body != nil {
		if err := t.addZeros(req); err != nil {
			return nil, err
		}
	}
	return t.client.Do(req)
}

func (t *transport) addZeros(req *http.Request) error {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return fmt.Errorf("the request body is not a JSON object: %w", err)
	}
	for k, v := range t.zeros {
		if _, ok := fields[k]; !ok {
			fields[k], _ = json.Marshal(v)
		}
	}
	if body, err = json.Marshal(fields); err != nil {
		return err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return nil
}

// newClient returns a go-openai client for the endpoint. key may be empty: local servers
// (vLLM, Ollama) need none, and then no Authorization header is sent.
func (c *Config) newClient(key string, t *transport) *openai.Client {
	var cfg openai.ClientConfig
	if c.APIType == APIAzure {
		cfg = openai.DefaultAzureConfig(key, c.Endpoint)
		cfg.APIVersion = c.APIVersion
		// The model attribute names the deployment as the user wrote it; the library's
		// default mapper would strip dots and colons from it.
		cfg.AzureModelMapperFunc = func(model string) string { return model }
	} else {
		cfg = openai.DefaultConfig(key)
		cfg.BaseURL = c.Endpoint
	}
	cfg.HTTPClient = t
	return openai.NewClientWithConfig(cfg)
}

// failure is what went wrong with one request.
type failure struct {
	class      string // failure class of the action if this is the last word
	retry      bool   // worth trying again after a pause
	retryAfter time.Duration
	message    string // a full sentence for the user
}

// classify sorts an error of CreateChatCompletion. Rate limits, server errors, timeouts and
// broken connections are retried; a rejected key, an exhausted quota and a rejected request
// are not, because asking again gives the same answer. None of them is cached: each is about
// the endpoint or the account, not about the commit.
func (c *Config) classify(ctx context.Context, err error, header http.Header) failure {
	if ctx.Err() != nil {
		return failure{class: "cancelled", message: "The generation was cancelled."}
	}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		code := strings.ToLower(fmt.Sprint(apiErr.Code) + " " + apiErr.Type)
		param := ""
		if apiErr.Param != nil {
			param = *apiErr.Param
		}
		return c.classifyStatus(apiErr.HTTPStatusCode, code, param, apiErr.Message, header)
	case errors.As(err, &reqErr):
		body := strings.TrimSpace(string(reqErr.Body))
		if len(body) > 300 {
			body = body[:300] + "..."
		}
		return c.classifyStatus(reqErr.HTTPStatusCode, strings.ToLower(body), "", body, header)
	case errors.Is(err, openai.ErrChatCompletionInvalidModel):
		return failure{class: "request_rejected", message: fmt.Sprintf(
			"The request was not sent: %q is a legacy completions model, which the chat-completions API does not serve. Change %s.",
			c.Model, c.where("model"))}
	case errors.Is(err, openai.ErrReasoningModelMaxTokensDeprecated),
		errors.Is(err, openai.ErrReasoningModelLimitationsOther),
		errors.Is(err, openai.ErrReasoningSamplingUnsupported),
		errors.Is(err, openai.ErrReasoningEffortUnsupported):
		// go-openai refuses, before sending, a request that its model list says the model
		// rejects: the model was not recognised as a reasoning model.
		return failure{class: "request_rejected", message: fmt.Sprintf(
			"The request was not sent: %q is a reasoning model, which would reject it (%s). Remove %s, so that the model is sent what a reasoning model accepts.",
			c.Model, err, c.where("reasoning"))}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return failure{class: "timeout", retry: true, message: fmt.Sprintf(
			"The endpoint %s did not answer within %s (the generator's timeout).", c.Endpoint, c.Timeout)}
	}
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) || errors.As(err, &typeErr) {
		return failure{class: "bad_response", retry: true, message: fmt.Sprintf(
			"The endpoint %s answered with something that is not a chat completion: %s.", c.Endpoint, err)}
	}
	if errors.Is(err, syscall.ECONNREFUSED) && loopback(c.Endpoint) {
		// Nothing listens on this machine's port: a server not started, not a flaky network,
		// so retrying (48 s with the default backoff) only delays the same answer.
		return failure{class: "connection_refused", message: fmt.Sprintf(
			"Nothing is listening at %s: the connection was refused. Start the server (vllm serve, ollama serve, ...) or point base_url of %s at where it listens.",
			c.Endpoint, c.Label)}
	}
	return failure{class: "connection_failed", retry: true, message: fmt.Sprintf(
		"The request to %s failed: %s.", c.Endpoint, strings.TrimSuffix(err.Error(), "."))}
}

// loopback reports whether an endpoint URL names this machine (localhost, 127.0.0.0/8, ::1).
func loopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Config) classifyStatus(status int, code, param, message string, header http.Header) failure {
	detail := fmt.Sprintf("HTTP %d: %s", status, strings.TrimSuffix(message, "."))
	switch {
	case status == http.StatusTooManyRequests && (strings.Contains(code, "quota") || strings.Contains(code, "billing")):
		return failure{class: "quota_exceeded", message: fmt.Sprintf(
			"The endpoint %s refused the request because the account's quota is used up (%s). Check the plan and billing of the account, then build again.",
			c.Endpoint, detail)}
	case status == http.StatusTooManyRequests:
		return failure{class: "rate_limited", retry: true, retryAfter: retryAfter(header), message: fmt.Sprintf(
			"The endpoint %s kept answering that the rate limit is reached (%s). Lower concurrency or requests_per_minute of %s.",
			c.Endpoint, detail, c.Label)}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		key := "no API key (the generator sets no api_key_env)"
		if c.APIKeyEnv != "" {
			key = "the API key in the environment variable " + c.APIKeyEnv
		}
		return failure{class: "auth_failed", message: fmt.Sprintf(
			"The endpoint %s rejected %s (%s). Check that the key is valid and may use the model %q.",
			c.Endpoint, key, detail, c.Model)}
	case status == http.StatusRequestTimeout || status == http.StatusConflict || status >= 500:
		return failure{class: "server_error", retry: true, retryAfter: retryAfter(header), message: fmt.Sprintf(
			"The endpoint %s kept failing (%s).", c.Endpoint, detail)}
	}
	if param == "" {
		param = paramIn(message)
	}
	if status == http.StatusNotFound && param == "" {
		param = "model"
	}
	msg := fmt.Sprintf("The endpoint %s rejected the request (%s).", c.Endpoint, detail)
	if attr := attributeOf(param); attr != "" {
		msg = fmt.Sprintf("The endpoint %s rejected the parameter %s (%s). Change or remove %s.", c.Endpoint, param, detail, c.where(attr))
		switch {
		case attr == "prompt":
			msg += " A prompt too long for the model's context is shortened with max_diff_chars."
		case (attr == "temperature" || attr == "top_p" || attr == "max_tokens") && !c.Reasoning:
			msg += " If the model is a reasoning model, set reasoning = true: it is then sent max_completion_tokens and no temperature or top_p."
		}
	} else {
		msg += fmt.Sprintf(" Check the attributes of %s.", c.Label)
	}
	return failure{class: "request_rejected", message: msg}
}

// retryAfter reads how long the server asks to wait: OpenAI's retry-after-ms first (finer),
// then the standard Retry-After, in seconds or as an HTTP date. Zero when absent.
func retryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	if ms, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs > 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// backoff is the pause before retry number n (from 0) when the server named none.
func backoff(n int) time.Duration {
	d := retryCap
	if n < 16 {
		d = min(retryBase<<n, retryCap)
	}
	return d/2 + rand.N(d/2+1)
}

// complete sends one chat-completions request, retrying what is transient. It returns the
// response, or the failure that ended the tries.
func (c *Config) complete(ctx context.Context, client *openai.Client, req openai.ChatCompletionRequest, log io.Writer) (*openai.ChatCompletionResponse, *failure) {
	g := gateFor(c.Endpoint)
	for try := 0; ; try++ {
		if err := g.wait(ctx, c.RequestsPerMinute); err != nil {
			return nil, &failure{class: "cancelled", message: "The generation was cancelled."}
		}
		resp, err := client.CreateChatCompletion(ctx, req)
		var f failure
		switch {
		case err != nil:
			f = c.classify(ctx, err, resp.Header())
		case len(resp.Choices) == 0:
			f = failure{class: "bad_response", retry: true, message: fmt.Sprintf("The endpoint %s answered with no choices.", c.Endpoint)}
		default:
			return &resp, nil
		}
		if !f.retry {
			return nil, &f
		}
		if try >= c.MaxRetries {
			f.message = fmt.Sprintf("%s It was tried %d times.", f.message, try+1)
			return nil, &f
		}
		wait := backoff(try)
		if f.retryAfter > 0 {
			if f.retryAfter > maxRetryAfter {
				f.message = fmt.Sprintf("%s The endpoint asks to wait %s before trying again.", f.message, f.retryAfter.Round(time.Second))
				return nil, &f
			}
			wait = f.retryAfter
			g.hold(time.Now().Add(wait))
		}
		fmt.Fprintf(log, "request %d: %s; retrying in %s\n", try+1, f.class, wait.Round(time.Millisecond))
		if err := sleep(ctx, wait); err != nil {
			return nil, &failure{class: "cancelled", message: "The generation was cancelled."}
		}
	}
}
