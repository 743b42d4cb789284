package benchmark

import (
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/zclconf/go-cty/cty"
)

// A serving benchmark measures a server through a client: each run starts the server of its
// side (a `server` block), waits until it is ready, runs the client (`command`) client_runs
// times against it, and stops it. The client's results are read from a result file (`metrics`
// maps record names to keys in it) or from its stdout (`metric_patterns`). Both commands are
// evaluated per side like `command`, and enter the key; they see the port in ISOBENCH_PORT.
//
// The server and its client run in one sandbox (session.go), so that the client reaches the
// server on the sandbox's own loopback and nothing else does; every process of the session
// dies with it.

// RunVariables implements engine.RunVariables: `${server.port}` and `${server.url}` in a
// command are the shell's ${ISOBENCH_PORT} and ${ISOBENCH_SERVER_URL}, which the session sets
// once it has picked the port (session.go). So the and vLLM's way of writing a port,
// `--port ${server.port}`, works, and the key holds the same text at both sides.
func (Kind) RunVariables() map[string]cty.Value {
	return map[string]cty.Value{"server": cty.ObjectVal(map[string]cty.Value{
		"port": cty.StringVal("${ISOBENCH_PORT}"),
		"url":  cty.StringVal("${ISOBENCH_SERVER_URL}"),
	})}
}

// Defaults of a server block.
const (
	// DefaultReadyTimeout: a vLLM server loading a 7B model from a local disk and capturing
	// CUDA graphs takes one to three minutes; ten leaves room for a cold page cache and
	// torch.compile, and still ends a server that hangs while loading.
	DefaultReadyTimeout = 10 * time.Minute
	// DefaultStopGrace between SIGTERM and SIGKILL: enough for uvicorn and vLLM to finish
	// their shutdown and free the GPU.
	DefaultStopGrace = 10 * time.Second
)

// Failures of a server session. A failure of a side's server is that side's failure
// (base_failed or head_failed, so a dataset never shows it as a hole); the record's sample
// says which of these it was, and the action's log shows the server log's tail.
const (
	ServerExited   = "server_exited"    // the server exited before it was ready
	ServerNotReady = "server_not_ready" // it was not ready within ready_timeout (a failure class of its own)
	ServerDied     = "server_died"      // it exited while the client ran
	ClientFailed   = "client_failed"    // the client exited non-zero
	ClientTimeout  = "client_timeout"   // the client outlived timeout (class timeout)
)

// Serving is a benchmark's server and the way its client's results are read. A benchmark may
// read a result file without a server (HasServer false).
type Serving struct {
	HasServer    bool
	Command      engine.LateAttr // the server's command line, run by /bin/sh in the commit's files
	Ready        string          // HTTP path polled until it answers 200
	ReadyLog     string          // or a regex the server's output matches once ready
	ReadyTimeout time.Duration
	StopGrace    time.Duration
	// ClientRuns is the client invocations per server session: the run's values, so an
	// expensive server start is paid once per run.
	ClientRuns int
	ResultFile string            // relative to the client's ISOBENCH_RUN_DIR
	MetricKeys map[string]string // record name -> key in the result file (a.b for nested keys)
	Patterns   map[string]*regexp.Regexp
	Units      map[string]string // record name -> unit; default inferred from the key
}

// serverSchema is the server block.
var serverSchema = &engine.Schema{Attrs: []engine.Attr{
	{Name: "command", Type: engine.TypeString, Late: true, Required: true},
	{Name: "ready", Type: engine.TypeString},
	{Name: "ready_log", Type: engine.TypeString},
	{Name: "ready_timeout", Type: engine.TypeDuration, Positive: true},
	{Name: "stop_grace", Type: engine.TypeDuration, Positive: true},
}}

// lines are the serving settings as key lines: the server command is added per side by
// Prepare. Both sides run the same workload by construction: one config, one client command
// template, one server command template.
func (s *Serving) lines() []engine.Line {
	if s == nil {
		return nil
	}
	lines := []engine.Line{engine.L("client_runs", s.ClientRuns)}
	if s.HasServer {
		lines = append(lines,
			engine.L("server.ready", s.Ready),
			engine.L("server.ready_log", s.ReadyLog),
			engine.L("server.ready_timeout", s.ReadyTimeout))
	}
	lines = append(lines, engine.L("result_file", s.ResultFile))
	for _, n := range slices.Sorted(maps.Keys(s.MetricKeys)) {
		lines = append(lines, engine.L("metrics."+n, s.MetricKeys[n]))
	}
	for _, n := range slices.Sorted(maps.Keys(s.Patterns)) {
		lines = append(lines, engine.L("metric_patterns."+n, s.Patterns[n].String()))
	}
	for _, n := range slices.Sorted(maps.Keys(s.Units)) {
		lines = append(lines, engine.L("units."+n, s.Units[n]))
	}
	return lines
}

// spec is what the record says about the server and the client's results.
func (s *Serving) spec(serverCommand string) *artifact.ServerSpec {
	out := &artifact.ServerSpec{Command: serverCommand, Ready: s.Ready, ReadyLog: s.ReadyLog,
		ReadyTimeout: s.ReadyTimeout.Seconds(), ClientRuns: s.ClientRuns, ResultFile: s.ResultFile,
		MetricKeys: s.MetricKeys}
	if len(s.Patterns) > 0 {
		out.MetricRegex = map[string]string{}
		for n, re := range s.Patterns {
			out.MetricRegex[n] = re.String()
		}
	}
	return out
}

// sessionTimeout bounds a whole session from outside: the supervisor inside enforces each
// part; this only ends a supervisor that hangs.
func (s *Serving) sessionTimeout(client time.Duration) time.Duration {
	d := time.Duration(s.ClientRuns)*client + time.Minute
	if s.HasServer {
		d += s.ReadyTimeout + 2*s.StopGrace
	}
	return d
}
