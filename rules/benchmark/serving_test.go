package benchmark

import (
	"fmt"
	"strings"
	"testing"

	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
	"github.com/isobench/isobench/rules/ruletest"
)

// servingRepo is a commit whose tree holds a small HTTP server and a client that writes a
// result file and prints a vLLM-style table.
func servingRepo(t *testing.T) (dir, head string) {
	r := gittest.New(t)
	files := map[string]string{
		"server.py": `import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/work" and os.environ.get("DIE_ON_WORK"):
            os._exit(7)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        sys.stderr.write("request %s\n" % self.path)
port = sys.argv[sys.argv.index("--port") + 1] if "--port" in sys.argv else os.environ["ISOBENCH_PORT"]
print("serving on", port, flush=True)
http.server.HTTPServer(("127.0.0.1", int(port)), H).serve_forever()
`,
		"client.py": `import json, os, sys, time, urllib.request
t = time.perf_counter()
url = sys.argv[sys.argv.index("--url") + 1] if "--url" in sys.argv else os.environ["ISOBENCH_SERVER_URL"]
urllib.request.urlopen(url + "/work").read()
ms = (time.perf_counter() - t) * 1000
out = "result.json" if "--cwd" in sys.argv else os.path.join(os.environ["ISOBENCH_RUN_DIR"], "result.json")
if os.path.exists(out):
    sys.exit("a stale result file")
json.dump({"median_tpot_ms": ms, "detail": {"p99_itl_ms": 2 * ms}}, open(out, "w"))
print("Mean TTFT (ms):   %.3f" % ms)
`,
	}
	r.Commit("base", files)
	files["README"] = "head\n"
	return r.Dir, r.Commit("head", files)
}

// brokenServer is a variant's patch that stops the server before it serves.
const brokenServer = "--- a/server.py\n+++ b/server.py\n@@ -1,2 +1,2 @@\n-import http.server, os, sys\n+raise SystemExit('broken by the patch')\n class H(http.server.BaseHTTPRequestHandler):\n"

// TestServing runs real servers and clients over loopback, in the runs' sandboxes: a
// benchmark that measures, and one for each way a session fails.
func TestServing(t *testing.T) {
	dir, head := servingRepo(t)
	bench := func(name, server, extra string) string {
		return fmt.Sprintf(`
benchmark %q {
  commit  = "//commits:c"
  server {
    command = %q
    %s
  }
  command     = "python client.py"
  client_runs = 2
  result_file = "result.json"
  metrics     = { tpot = "median_tpot_ms", itl_p99 = "detail.p99_itl_ms" }
  primary_metric = "tpot"
  samples = 2
  warmup  = 0
}
`, name, server, extra)
	}
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", dir, head),
		"benchmarks/BUILD.hcl": bench("ok", "python server.py", `ready = "/health"`) +
			bench("base_server_exits", `test "$ISOBENCH_SIDE" = head || { echo boom at base; exit 3; }; exec python server.py`, `ready = "/health"`) +
			bench("never_ready", "echo loading; sleep 30", `ready_timeout = "1s"`) +
			bench("server_dies", "DIE_ON_WORK=1 exec python server.py", `ready_log = "serving on"`) + `
benchmark "table" {
  commit  = "//commits:c"
  server {
    command = "python server.py --port ${server.port}"
  }
  command         = "python client.py --url ${server.url}"
  metric_patterns = { ttft = "Mean TTFT \\(ms\\):\\s+([0-9.]+)" }
  units           = { ttft = "ms" }
  samples = 2
  warmup  = 0
}
benchmark "cwd_result" {
  commit  = "//commits:c"
  server {
    command = "python server.py"
  }
  command     = "python client.py --cwd"
  client_runs = 2
  result_file = "result.json"
  metrics     = { tpot = "median_tpot_ms" }
  samples = 2
  warmup  = 0
}
benchmark "no_server" {
  commit      = "//commits:c"
  command     = "python -c \"import json, os; json.dump({'x': 1.5}, open(os.environ['ISOBENCH_RUN_DIR'] + '/r.json', 'w'))\""
  client_runs = 2
  result_file = "r.json"
  metrics     = { x = "x" }
  samples = 2
  warmup  = 0
}
benchmark "variant_server_exits" {
  commit  = "//commits:c"
  server {
    command = "python server.py"
  }
  command  = "python client.py"
  metric_patterns = { ttft = "Mean TTFT \\(ms\\):\\s+([0-9.]+)" }
  samples  = 2
  warmup   = 0
  variants = { broken = ` + ruletest.Quote(brokenServer) + ` }
}
benchmark "missing_key" {
  commit  = "//commits:c"
  server {
    command = "python server.py"
  }
  command     = "python client.py"
  result_file = "result.json"
  metrics     = { ttft = "median_ttft_ms" }
  samples = 2
  warmup  = 0
}
`,
	})
	b := w.build(nil)

	v, rec, log := b.measure(t, "ok")
	if v.Outcome.Status != "ok" {
		t.Fatalf("ok: %s %s: %s\n%s", v.Outcome.Status, v.Outcome.Class, v.Outcome.Message, log)
	}
	if rec.Server == nil || rec.Server.Command != "python server.py" || rec.Server.ClientRuns != 2 || rec.Server.MetricKeys["itl_p99"] != "detail.p99_itl_ms" {
		t.Errorf("the record's server: %+v", rec.Server)
	}
	if rec.Metric != "tpot" || rec.Unit != "ms" || len(rec.Metrics) != 2 || rec.Metrics[1].Name != "itl_p99" {
		t.Errorf("metrics: primary %s %s, %+v", rec.Metric, rec.Unit, rec.Metrics)
	}
	for _, s := range rec.Samples {
		if len(s.Values["tpot"]) != 2 || len(s.Values["itl_p99"]) != 2 {
			t.Errorf("%s run %d: two client runs should give two values of each metric: %v", s.Side, s.Index, s.Values)
		}
		if s.Server == nil || s.Server.Port == 0 || s.Server.ReadySeconds <= 0 || s.Server.Clients != 2 || s.Server.Log == "" {
			t.Fatalf("%s run %d: server %+v", s.Side, s.Index, s.Server)
		}
		name := ServerLogOutput(s.Side, s.Index)
		if d := string(v.Outcome.Outputs[name]); d != s.Server.Log {
			t.Errorf("output %s is %q, the sample says %q", name, d, s.Server.Log)
		}
		if got := string(w.Output(v, name)); !strings.Contains(got, "serving on") || !strings.Contains(got, "request /work") || !strings.Contains(got, "request /health") {
			t.Errorf("server log of %s:\n%s", name, got)
		}
	}
	if !strings.Contains(log, "server on port") || !strings.Contains(log, "Mean TTFT") {
		t.Errorf("log of ok:\n%s", log)
	}

	v, rec, _ = b.measure(t, "table")
	if v.Outcome.Status != "ok" || rec.Metric != "ttft" || rec.Unit != "ms" || len(rec.BaseValues) != 2 {
		t.Errorf("table: %s %s, metric %s %s, base %v", v.Outcome.Status, v.Outcome.Message, rec.Metric, rec.Unit, rec.BaseValues)
	}

	v, rec, log = b.measure(t, "cwd_result")
	if v.Outcome.Status != "ok" || len(rec.Samples) != 4 || len(rec.Samples[3].Values["tpot"]) != 2 {
		t.Errorf("a result file in the working directory: %s %s\n%s", v.Outcome.Status, v.Outcome.Message, log)
	}

	v, rec, log = b.measure(t, "no_server")
	if v.Outcome.Status != "ok" || rec.Server == nil || rec.Server.Command != "" || len(rec.Samples) != 4 ||
		len(rec.Samples[0].Values["x"]) != 2 || rec.Samples[0].Server.Log != "" {
		t.Errorf("a result file without a server: %s %s %+v\n%s", v.Outcome.Status, v.Outcome.Message, rec.Server, log)
	}

	// A variant whose patch breaks the server fails as the variant, not as head.
	if rec := b.records["variants //benchmarks:variant_server_exits"]; rec == nil || len(rec.Variants) != 1 ||
		rec.Variants[0].FailureClass != ClassVariantFailed || !strings.Contains(rec.Variants[0].Message, "The broken run 1 (sample) failed: the server exited") {
		t.Errorf("a variant's failed session: %+v", rec)
	}

	for _, c := range []struct{ name, class, failure, message, log string }{
		{"base_server_exits", ClassBaseFailed, ServerExited, "exited with status 3 before it was ready (server_exited); its log ends: boom at base.", "boom at base"},
		{"never_ready", ServerNotReady, ServerNotReady, "not ready within 1s: nothing listened on 127.0.0.1:", "isobench log //benchmarks:never_ready --server --side base --run 1"},
		{"server_dies", ClassBaseFailed, ServerDied, "exited (status 7) while client 1 ran (server_died); its log ends: ", "Traceback"},
		{"missing_key", ClassNoMetric, "", `has no key "median_ttft_ms"`, "Mean TTFT"},
	} {
		v, rec, log := b.measure(t, c.name)
		if v.Outcome.Class != c.class || !strings.Contains(v.Outcome.Message, c.message) {
			t.Errorf("%s: %s %q, want %s and %q", c.name, v.Outcome.Class, v.Outcome.Message, c.class, c.message)
		}
		if !strings.Contains(log, c.log) {
			t.Errorf("%s: the log lacks %q:\n%s", c.name, c.log, log)
		}
		if rec == nil || rec.FailureClass != c.class || len(rec.Samples) == 0 {
			t.Fatalf("%s: record %+v", c.name, rec)
		}
		last := rec.Samples[len(rec.Samples)-1]
		if last.Server == nil || last.Server.Failure != c.failure {
			t.Errorf("%s: the failed run's server: %+v", c.name, last.Server)
		}
		if c.failure != "" && last.Side != artifact.Base {
			t.Errorf("%s failed at %s, want base (the first run)", c.name, last.Side)
		}
	}
}

func TestDecodeServing(t *testing.T) {
	c, diags := loadConfig(t, `command = "python client.py"
  server {
    command       = "vllm serve m --port $ISOBENCH_PORT"
    ready         = "/health"
    ready_timeout = "15m"
  }
  client_runs    = 3
  result_file    = "result.json"
  metrics        = { ttft = "median_ttft_ms", tput = "output_throughput" }
  primary_metric = "ttft"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s := c.Serving
	if s == nil || !s.HasServer || s.Ready != "/health" || s.ReadyTimeout.Minutes() != 15 || s.StopGrace != DefaultStopGrace ||
		s.ClientRuns != 3 || s.unitOf("tput", "output_throughput") != "tok/s" || s.unitOf("ttft", "median_ttft_ms") != "ms" {
		t.Errorf("serving %+v", s)
	}

	for _, c := range []struct{ body, want string }{
		{`script = "x"
  server {
    command = "s"
  }`, "need the client as command"},
		{`command = "c"
  server {
    command   = "s"
    ready     = "/health"
    ready_log = "up"
  }`, "both ready and ready_log"},
		{`command = "c"
  server {
    command = "s"
    ready   = "health"
  }`, `an HTTP path such as "/health"`},
		{`command = "c"
  result_file = "r.json"`, "result_file needs metrics"},
		{`command = "c"
  result_file = "r.json"
  metrics = { a = "x", b = "y" }`, "primary_metric must name the one"},
		{`command = "c"
  result_file = "r.json"
  metrics = { a = "x" }
  primary_metric = "z"`, `primary_metric "z" is none of the metrics read (a)`},
		{`command = "c"
  result_file = "r.json"
  metrics = { tpot_median = "x", ttft_median = "y" }
  primary_metric = "tpot_mediam"`, `(tpot_median, ttft_median); did you mean "tpot_median"?`},
		{`command = "c"
  client_runs = 0`, "client_runs"},
	} {
		_, diags := loadConfig(t, c.body)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), c.want) {
			t.Errorf("%s\ngave %v, want %q", c.body, diags, c.want)
		}
	}
}

func TestResultFileKeys(t *testing.T) {
	s := &Serving{ResultFile: "r.json", MetricKeys: map[string]string{"a": "median_ttft_ms", "b": "x.y", "c": "dotted.key"}}
	rs, err := s.readClient([]byte(`{"median_ttft_ms": 12.5, "x": {"y": 3}, "dotted.key": 7}`), true, nil)
	if err != nil || len(rs) != 3 || rs[0].Values[0] != 12.5 || rs[0].Unit != "ms" || rs[1].Values[0] != 3 || rs[2].Values[0] != 7 {
		t.Errorf("%+v, %v", rs, err)
	}
	for doc, want := range map[string]string{
		`{"median_ttft_ms": null, "x": {"y": 1}, "dotted.key": 1}`:   `null under "median_ttft_ms"`,
		`{"median_ttft_ms": "fast", "x": {"y": 1}, "dotted.key": 1}`: "not a number",
		`{"median_ttft_ms": 1, "x": 2, "dotted.key": 1}`:             `no key "x.y"`,
		`[1]`: "not a JSON object",
		`{"median_ttft": 1, "x": {"y": 1}, "dotted.key": 1}`:     `no key "median_ttft_ms"; did you mean "median_ttft"?`,
		`{"median_ttft_ms": 1, "x": {"yy": 1}, "dotted.key": 1}`: `no key "x.y"; did you mean "x.yy"?`,
	} {
		if _, err := s.readClient([]byte(doc), true, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", doc, err, want)
		}
	}
	if _, err := s.readClient(nil, false, nil); err == nil || !strings.Contains(err.Error(), "wrote no result file r.json") {
		t.Errorf("no file: %v", err)
	}
}

func TestHeadTail(t *testing.T) {
	h := &headTail{max: 400}
	for i := range 1000 {
		fmt.Fprintf(h, "line %d\n", i)
	}
	out := string(h.Bytes())
	if !strings.HasPrefix(out, "line 0\n") || !strings.HasSuffix(out, "line 999\n") || !strings.Contains(out, "bytes of the server's output left out here") || len(out) > 500 {
		t.Errorf("%d bytes:\n%s", len(out), out)
	}
}

// TestLogOutputs: `isobench log --server` gets the server logs of a side and run, by run and
// then side, and nothing else the action stored.
func TestLogOutputs(t *testing.T) {
	outputs := []string{"server-log.head.2", "measurement", "server-log.claude.1", "server-log.base.2",
		"server-log.head.1", "server-log.base.1", "server-log.base.x", "server-log.base.0"}
	for _, c := range []struct {
		side string
		run  int
		want string
	}{
		{"", 0, "server-log.base.1 server-log.head.1 server-log.claude.1 server-log.base.2 server-log.head.2"},
		{"head", 0, "server-log.head.1 server-log.head.2"},
		{"", 2, "server-log.base.2 server-log.head.2"},
		{"claude", 1, "server-log.claude.1"},
		{"base", 3, ""},
	} {
		if got := strings.Join(Kind{}.LogOutputs(nil, outputs, c.side, c.run), " "); got != c.want {
			t.Errorf("side %q run %d: %q, want %q", c.side, c.run, got, c.want)
		}
	}
}
