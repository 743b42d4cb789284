package generator

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// mustOK fails the test unless the build's only generation succeeded.
func mustOK(t *testing.T, o *engine.Visit) {
	t.Helper()
	if o.Outcome == nil || o.Outcome.Status != engine.StatusOK {
		t.Fatalf("generation did not succeed: %+v", o.Outcome)
	}
}

// mustFailTransient checks a generation that failed with class and was not cached.
func mustFailTransient(t *testing.T, w *workspace, o *engine.Visit, class, message string) {
	t.Helper()
	if o.Outcome == nil || o.Outcome.Status != engine.StatusFailed || o.Outcome.Class != class {
		t.Fatalf("want a %s failure, got %+v", class, o.Outcome)
	}
	if !strings.Contains(o.Outcome.Message, message) {
		t.Errorf("message %q does not contain %q", o.Outcome.Message, message)
	}
	if w.Stored(o) {
		t.Errorf("the %s failure was cached", class)
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			apiError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "", "Rate limit reached for requests.")
			return
		}
		alwaysGood(w, r, n, body)
	})
	w := newWorkspace(t, oneCommit(server, "  model = \"m\"\n  prompt = \"p\"\n"))
	r := w.build(engine.Options{})
	mustOK(t, r.only(t))
	if server.count() != 2 {
		t.Fatalf("%d requests, want 2", server.count())
	}
	if gap := server.request(1).at.Sub(server.request(0).at); gap < time.Second {
		t.Errorf("retried after %s, but Retry-After asked for 1s", gap)
	}
	if r.Summary.Counters["requests"] != 2 {
		t.Errorf("requests counted: %d, want 2", r.Summary.Counters["requests"])
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
		switch n {
		case 1:
			apiError(w, http.StatusInternalServerError, "", "", "The server had an error.")
		case 2:
			http.Error(w, "<html>Bad Gateway</html>", http.StatusBadGateway) // a proxy's error page
		case 3:
			conn, _, err := w.(http.Hijacker).Hijack() // the connection drops without an answer
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
		default:
			alwaysGood(w, r, n, body)
		}
	})
	w := newWorkspace(t, oneCommit(server, "  model = \"m\"\n  prompt = \"p\"\n"))
	o := w.build(engine.Options{}).only(t)
	mustOK(t, o)
	if server.count() != 4 {
		t.Errorf("%d requests, want 4", server.count())
	}
	record := w.Output(o, artifact.GenerationOutput) // only the accepted answer is an attempt
	if strings.Count(string(record), `"response"`) != 1 {
		t.Errorf("transient failures were recorded as attempts: %s", record)
	}
}

func TestServerErrorNotCached(t *testing.T) {
	t.Parallel()
	var up atomic.Bool
	server := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
		if !up.Load() {
			apiError(w, http.StatusServiceUnavailable, "", "", "Overloaded.")
			return
		}
		alwaysGood(w, r, n, body)
	})
	w := newWorkspace(t, oneCommit(server, "  model = \"m\"\n  prompt = \"p\"\n  max_retries = 2\n"))
	r := w.build(engine.Options{})
	mustFailTransient(t, w, r.only(t), "server_error", "tried 3 times")
	if server.count() != 3 {
		t.Errorf("%d requests, want 3 (one and two retries)", server.count())
	}
	if r.Summary.ByMnemonic["measure"].Blocked != 1 {
		t.Errorf("the measurement was not blocked: %+v", r.Summary.ByMnemonic["measure"])
	}
	// Nothing was cached, so the next build asks again, and succeeds.
	up.Store(true)
	mustOK(t, w.build(engine.Options{}).only(t))
	if server.count() != 4 {
		t.Errorf("%d requests after the second build, want 4", server.count())
	}
}

func TestHungConnectionTimesOut(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
		if n == 1 {
			<-r.Context().Done() // never answers: the client gives up
			return
		}
		alwaysGood(w, r, n, body)
	})
	w := newWorkspace(t, oneCommit(server, "  model = \"m\"\n  prompt = \"p\"\n  timeout = \"300ms\"\n  max_retries = 1\n"))
	start := time.Now()
	mustOK(t, w.build(engine.Options{}).only(t))
	if server.count() != 2 {
		t.Errorf("%d requests, want 2 (the hung one and its retry)", server.count())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the build took %s; the hung request was not cut at its timeout", d)
	}

	// An endpoint that always hangs ends in a transient timeout, never cached.
	server2 := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) { <-r.Context().Done() })
	w2 := newWorkspace(t, oneCommit(server2, "  model = \"m\"\n  prompt = \"p\"\n  timeout = \"200ms\"\n  max_retries = 1\n"))
	mustFailTransient(t, w2, w2.build(engine.Options{}).only(t), "timeout", "did not answer within 200ms")
	if server2.count() != 2 {
		t.Errorf("%d requests, want 2", server2.count())
	}
}

func TestAuthAndQuotaFailFast(t *testing.T) {
	for _, c := range []struct {
		name, class, message string
		respond              func(w http.ResponseWriter)
	}{
		{"unauthorized", "auth_failed", "rejected the API key in the environment variable GEN_TEST_AUTH", func(w http.ResponseWriter) {
			apiError(w, http.StatusUnauthorized, "invalid_api_key", "", "Incorrect API key provided: sk-wrong-key.")
		}},
		{"forbidden", "auth_failed", "may use the model", func(w http.ResponseWriter) {
			apiError(w, http.StatusForbidden, "model_not_allowed", "", "You may not use this model.")
		}},
		{"quota", "quota_exceeded", "quota is used up", func(w http.ResponseWriter) {
			apiError(w, http.StatusTooManyRequests, "insufficient_quota", "", "You exceeded your current quota.")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			server := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) { c.respond(w) })
			t.Setenv("GEN_TEST_AUTH", "sk-wrong-key")
			w := newWorkspace(t, oneCommit(server, "  api_key_env = \"GEN_TEST_AUTH\"\n  model = \"m\"\n  prompt = \"p\"\n"))
			o := w.build(engine.Options{}).only(t)
			mustFailTransient(t, w, o, c.class, c.message)
			if server.count() != 1 {
				t.Errorf("%d requests, want 1: this failure is not retried", server.count())
			}
			if strings.Contains(o.Outcome.Message, "sk-wrong-key") {
				t.Errorf("the message shows the API key: %s", o.Outcome.Message)
			}
		})
	}
}

func TestRejectedParameterNamesAttribute(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
		apiError(w, http.StatusBadRequest, "unsupported_value", "temperature",
			"Unsupported value: 'temperature' does not support 0.5 with this model. Only the default (1) value is supported.")
	})
	w := newWorkspace(t, oneCommit(server, "  model = \"my-reasoner\"\n  prompt = \"p\"\n  temperature = 0.5\n"))
	o := w.build(engine.Options{}).only(t)
	mustFailTransient(t, w, o, "request_rejected",
		"rejected the parameter temperature (HTTP 400: Unsupported value")
	for _, want := range []string{"Change or remove the attribute temperature of //generators:llm (generators/BUILD.hcl:5)", "set reasoning = true"} {
		if !strings.Contains(o.Outcome.Message, want) {
			t.Errorf("message %q does not contain %q", o.Outcome.Message, want)
		}
	}
	if server.count() != 1 {
		t.Errorf("%d requests, want 1", server.count())
	}

	// vLLM names the parameter only in its message, in its own error format.
	server2 := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"object":"error","message":"max_tokens must be at least 1, got 0.","type":"BadRequestError","param":null,"code":400}`))
	})
	w2 := newWorkspace(t, oneCommit(server2, "  model = \"m\"\n  prompt = \"p\"\n  max_tokens = 5\n"))
	mustFailTransient(t, w2, w2.build(engine.Options{}).only(t), "request_rejected", "Change or remove the attribute max_tokens of //generators:llm")
}

func TestMissingKeyOnlyWhenGenerating(t *testing.T) {
	server := newLLMServer(t, alwaysGood)
	t.Setenv("GEN_TEST_UNSET", "")
	w := newWorkspace(t, oneCommit(server, "  api_key_env = \"GEN_TEST_UNSET\"\n  model = \"m\"\n  prompt = \"p\"\n"))
	mustFailTransient(t, w, w.build(engine.Options{}).only(t), "missing_api_key", "GEN_TEST_UNSET")
	if server.count() != 0 {
		t.Errorf("%d requests without a key", server.count())
	}
	// The generator alone needs no key and no endpoint.
	r := w.build(engine.Options{}, "generator")
	if r.Summary.Failed != 0 || r.Summary.Executed+r.Summary.Cached != 1 || server.count() != 0 {
		t.Errorf("building the generator alone: %+v, %d requests", r.Summary.Counts, server.count())
	}
}

func TestRetryAfterParsing(t *testing.T) {
	h := http.Header{}
	h.Set("Retry-After", "2")
	if got := retryAfter(h); got != 2*time.Second {
		t.Errorf("Retry-After 2: %s", got)
	}
	h.Set("Retry-After-Ms", "250")
	if got := retryAfter(h); got != 250*time.Millisecond {
		t.Errorf("retry-after-ms 250: %s", got)
	}
	h = http.Header{}
	h.Set("Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
	if got := retryAfter(h); got < 28*time.Second || got > 30*time.Second {
		t.Errorf("Retry-After as a date: %s", got)
	}
	if got := retryAfter(http.Header{}); got != 0 {
		t.Errorf("no header: %s", got)
	}
}

// TestLoopbackRefusedFailsFast: a local server that is not running refuses the connection at
// once; that is not a flaky network, so the build fails at once, saying what to do, and caches
// nothing (starting the server must be enough).
func TestLoopbackRefusedFailsFast(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, alwaysGood)
	server.Close() // its loopback port now refuses connections
	w := newWorkspace(t, oneCommit(server, "  model = \"m\"\n  prompt = \"p\"\n"))
	start := time.Now()
	mustFailTransient(t, w, w.build(engine.Options{}).only(t), "connection_refused", "Nothing is listening at "+server.URL)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a refused loopback connection took %s to fail; it was retried", d)
	}
}
