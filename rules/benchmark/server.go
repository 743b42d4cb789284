package benchmark

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
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

// decodeServing reads the server block and the result attributes; nil when the benchmark has
// neither.
func decodeServing(t *engine.Target, c *Config, invalid func(hcl.Range, error)) *Serving {
	srv := t.Block("server")
	if srv == nil && !t.Has("result_file") && !t.Has("metrics") && !t.Has("metric_patterns") && !t.Has("client_runs") {
		return nil
	}
	s := &Serving{
		ClientRuns:   t.Int("client_runs", 1),
		ResultFile:   t.String("result_file"),
		MetricKeys:   t.StringMap("metrics"),
		Units:        t.StringMap("units"),
		ReadyTimeout: DefaultReadyTimeout,
		StopGrace:    DefaultStopGrace,
		Patterns:     map[string]*regexp.Regexp{},
	}
	if c.Test != TestCommand {
		invalid(t.Range, fmt.Errorf("a server block, result_file, metrics and metric_patterns need the client as command"))
	}
	if srv != nil {
		s.HasServer = true
		s.Command = srv.Late("command")
		s.Ready, s.ReadyLog = srv.String("ready"), srv.String("ready_log")
		s.ReadyTimeout = srv.Duration("ready_timeout", DefaultReadyTimeout)
		s.StopGrace = srv.Duration("stop_grace", DefaultStopGrace)
		if s.Ready != "" && s.ReadyLog != "" {
			invalid(srv.AttrRange("ready_log"), fmt.Errorf("the server sets both ready and ready_log; keep the one that tells when it is ready"))
		}
		if s.Ready != "" && !strings.HasPrefix(s.Ready, "/") {
			invalid(srv.AttrRange("ready"), fmt.Errorf("ready is an HTTP path such as \"/health\", not %q", s.Ready))
		}
		if s.ReadyLog != "" {
			if _, err := regexp.Compile(s.ReadyLog); err != nil {
				invalid(srv.AttrRange("ready_log"), fmt.Errorf("ready_log is not a valid regular expression: %v", err))
			}
		}
	}
	for name, p := range t.StringMap("metric_patterns") {
		re, err := regexp.Compile(p)
		if err != nil {
			invalid(t.AttrRange("metric_patterns"), fmt.Errorf("the pattern of %s is not a valid regular expression: %v", name, err))
			continue
		}
		s.Patterns[name] = re
	}
	switch {
	case s.ResultFile != "" && len(s.MetricKeys) == 0:
		invalid(t.AttrRange("result_file"), fmt.Errorf("result_file needs metrics, the record's names for keys of the file"))
	case len(s.MetricKeys) > 0 && s.ResultFile == "":
		invalid(t.AttrRange("metrics"), fmt.Errorf("metrics names keys of a result file: set result_file"))
	case len(s.MetricKeys) == 0 && len(s.Patterns) == 0 && srv != nil && c.MetricRegex == "":
		// The client prints JSON lines or "Execution time" like any command: allowed.
	}
	names := slices.Sorted(maps.Keys(s.MetricKeys))
	for _, n := range slices.Sorted(maps.Keys(s.Patterns)) {
		if _, dup := s.MetricKeys[n]; dup {
			invalid(t.AttrRange("metric_patterns"), fmt.Errorf("%s is named in both metrics and metric_patterns", n))
		}
		names = append(names, n)
	}
	if len(names) > 0 {
		switch {
		case c.Metric.Name == "" && len(names) > 1:
			invalid(t.AttrRange("metrics"), fmt.Errorf("with several metrics, primary_metric must name the one whose verdict is the benchmark's (one of %s)", strings.Join(names, ", ")))
		case c.Metric.Name == "":
			c.Metric.Name = names[0]
		case !slices.Contains(names, c.Metric.Name):
			invalid(t.AttrRange("primary_metric"), fmt.Errorf("primary_metric %q is none of the metrics read (%s)", c.Metric.Name, strings.Join(names, ", ")))
		}
	}
	return s
}

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
