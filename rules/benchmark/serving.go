package benchmark

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// ServerLogOutput names the output that holds a run's server log: server-log.base.3 is the
// log of the base side's fourth run (warmups counted). The sample's server.log is its digest.
func ServerLogOutput(side artifact.Side, index int) string {
	return fmt.Sprintf("server-log.%s.%d", side, index+1)
}

var _ engine.LogOutputs = Kind{}

// LogOutputs picks, of a measure action's outputs, the server logs of side and run (1-based,
// warmups counted, as ServerLogOutput numbers them), by run and then side: base, head, the
// variant.
func (Kind) LogOutputs(a *engine.Action, outputs []string, side string, run int) []string {
	type log struct {
		name string
		side artifact.Side
		n    int
	}
	var logs []log
	for _, name := range outputs {
		rest, ok := strings.CutPrefix(name, "server-log.")
		i := strings.LastIndexByte(rest, '.')
		if !ok || i < 0 {
			continue
		}
		n, err := strconv.Atoi(rest[i+1:])
		s := artifact.Side(rest[:i])
		if err != nil || n < 1 || name != ServerLogOutput(s, n-1) || (side != "" && string(s) != side) || (run != 0 && n != run) {
			continue
		}
		logs = append(logs, log{name, s, n})
	}
	order := func(s artifact.Side) int {
		switch s {
		case artifact.Base:
			return 0
		case artifact.Head:
			return 1
		}
		return 2
	}
	slices.SortFunc(logs, func(x, y log) int {
		return cmp.Or(cmp.Compare(x.n, y.n), cmp.Compare(order(x.side), order(y.side)), strings.Compare(string(x.side), string(y.side)))
	})
	var out []string
	for _, l := range logs {
		out = append(out, l.name)
	}
	return out
}

// session runs one server session for a run (session.go runs it inside the run's sandbox):
// the values of the run are those of each client invocation.
func (r *runner) session(ctx context.Context, side *sideSetup, rn Run, sample *artifact.Sample) *engine.Result {
	cfg := r.m.cfg
	s := cfg.Serving
	what := fmt.Sprintf("the %s run %d (%s)", rn.Side, rn.Index+1, runKind(rn))
	runDir := filepath.Join(r.x.TempDir, fmt.Sprintf("run-%s-%d", side.side, rn.Index))
	tmp := filepath.Join(runDir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return engine.Transient("error", "The session could not be prepared: %s", err)
	}
	defer os.RemoveAll(runDir)
	exe, err := os.Executable()
	if err != nil {
		return engine.Transient("error", "isobench cannot find its own program to supervise the server: %s", err)
	}
	spec := sessionSpec{Client: r.pr.commands[side.side], ClientRuns: s.ClientRuns, Timeout: cfg.Timeout,
		Dir: side.tree, RunDir: runDir, MaxOutput: maxOutput, ResultFile: s.ResultFile,
		Server: r.pr.servers[side.side], Ready: s.Ready, ReadyLog: s.ReadyLog, ReadyTimeout: s.ReadyTimeout, StopGrace: s.StopGrace}
	specPath := filepath.Join(runDir, sessionSpecFile)
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(specPath, b, 0o444); err != nil {
		return engine.Transient("error", "The session could not be prepared: %s", err)
	}

	vars, mask := side.env(tmp)
	sb := side.sandbox(r.x, runDir)
	sb.ReadOnly = append(sb.ReadOnly, exe)
	res, err := engine.RunCommand(ctx, engine.Command{Path: exe, Args: []string{sessionArg, specPath}, Dir: runDir,
		Env: engine.MinimalEnv(runDir, vars), Timeout: s.sessionTimeout(cfg.Timeout), MaxOutput: maxOutput, Sandbox: sb, Mask: mask})
	if err != nil {
		return engine.Transient("error", "The server session could not be started: %s", err)
	}
	sample.Seconds, sample.ExitCode = res.Duration.Seconds(), res.ExitCode
	switch {
	case res.Canceled:
		return engine.Transient("cancelled", "The measurement was cancelled during %s.", what)
	case res.TimedOut:
		r.logTail(what, res)
		return engine.Failed(ClassTimeout, "%s did not finish within %s; its sandbox was killed.", capitalize(what), s.sessionTimeout(cfg.Timeout))
	}
	var rep sessionReport
	rb, err := os.ReadFile(filepath.Join(runDir, sessionReportFile))
	if err == nil {
		err = json.Unmarshal(rb, &rep)
	}
	if err != nil {
		// The supervisor itself did not finish: killed (out of memory?), or it could not
		// start in the sandbox. Not the commit's doing.
		r.logTail(what, res)
		return engine.Transient("error", "The server session of %s left no report (exit %d): %s", what, res.ExitCode, lastLine(res))
	}

	run := &artifact.ServerRun{Port: rep.Port, ReadySeconds: rep.ReadySeconds, StopSeconds: rep.StopSeconds,
		Clients: len(rep.Clients), Failure: rep.Failure}
	sample.Server = run
	var serverLog []byte
	if spec.Server != "" {
		serverLog, _ = os.ReadFile(filepath.Join(runDir, serverLogFile))
		serverLog = engine.Masked(serverLog, mask)
		if r.logs == nil {
			r.logs = map[string][]byte{}
		}
		r.logs[ServerLogOutput(rn.Side, rn.Index)] = serverLog
		run.Log = string(cache.Sum(serverLog))
		ready := fmt.Sprintf("ready after %s", seconds(rep.ReadySeconds))
		if rep.Failure == ServerExited || rep.Failure == ServerNotReady {
			ready = "never ready"
		}
		fmt.Fprintf(r.x.Log, "%s: server on port %d %s, stopped in %s\n", what, rep.Port, ready, seconds(rep.StopSeconds))
	}

	if rep.Failure != "" {
		last := rep.Clients
		var client *engine.ProcessResult
		if n := len(last); n > 0 {
			client = clientResult(last[n-1])
		}
		return r.sessionFailed(rn, what, &rep, serverLog, client)
	}

	// Every client ran: read each one's values.
	var readings []Reading
	index := map[string]int{}
	for i, c := range rep.Clients {
		out := clientResult(c)
		var rs []Reading
		var err error
		if len(s.MetricKeys) > 0 || len(s.Patterns) > 0 {
			result, rerr := os.ReadFile(filepath.Join(c.Dir, s.ResultFile))
			rs, err = s.readClient(result, s.ResultFile != "" && rerr == nil, out.Stdout)
		} else {
			rs, err = cfg.Metric.Parse(out.Stdout, out.Stderr)
		}
		if err != nil {
			r.logTail(fmt.Sprintf("%s, client %d", what, i+1), out)
			if u, ok := err.(errUnits); ok {
				return engine.Failed(ClassMetricMismatch, "%s reported %s.", capitalize(what), u)
			}
			return engine.Failed(ClassNoMetric, "Client %d of %s gave no metric the benchmark could read: %s.", i+1, what, err)
		}
		for _, rd := range rs {
			j, seen := index[rd.Metric]
			if !seen {
				j = len(readings)
				index[rd.Metric] = j
				readings = append(readings, Reading{Metric: rd.Metric, Unit: rd.Unit})
			}
			if readings[j].Unit != rd.Unit {
				return engine.Failed(ClassMetricMismatch, "%s reported %s.", capitalize(what), errUnits{rd.Metric, readings[j].Unit, rd.Unit})
			}
			readings[j].Values = append(readings[j].Values, rd.Values...)
		}
	}
	first := clientResult(rep.Clients[0])
	if res := r.take(sample, rn, readings, what, func() { r.logTail(what, first) }); res != nil {
		return res
	}
	if rn.Index == 0 || rn.Index == cfg.Warmup {
		r.logOutput(what+", client 1", first)
	}
	return nil
}

// sessionFailed turns a failed session into the run's failure: the side's own failure class
// (a server that fails at base only is a base_failed record saying so, with a variant's patch
// only a variant_failed one), timeout for a client
// that outlived its timeout, server_not_ready for a server that never answered. The log gets
// the server log's tail and the client's output.
func (r *runner) sessionFailed(rn Run, what string, rep *sessionReport, serverLog []byte, client *engine.ProcessResult) *engine.Result {
	if len(serverLog) > 0 {
		fmt.Fprintf(r.x.Log, "--- server log of %s, last %d bytes (all of it: isobench log %s --server --side %s --run %d):\n%s\n---\n",
			what, min(len(serverLog), logTailBytes), r.m.label, rn.Side, rn.Index+1, tail(serverLog, logTailBytes))
	}
	if client != nil {
		r.logTail(what+", its last client", client)
	} else if len(serverLog) > 0 {
		r.rec.OutputTail = tail(serverLog, recordTailBytes)
	}
	class := failedClass(rn.Side)
	switch rep.Failure {
	case ServerNotReady:
		class = ServerNotReady
	case ClientTimeout:
		class = ClassTimeout
	}
	// The message ends with what says why: the last line the server wrote when the server
	// failed (an exception, a CUDA out-of-memory), the client's when the client did.
	why := ""
	switch {
	case rep.Failure == ClientFailed && client != nil:
		why = lastLine(client)
	case rep.Failure == ServerExited || rep.Failure == ServerNotReady || rep.Failure == ServerDied:
		why = "the server printed nothing"
		if len(bytes.TrimSpace(serverLog)) > 0 {
			why = "its log ends: " + lastLine(&engine.ProcessResult{Stdout: serverLog})
		}
	}
	if why != "" {
		why = "; " + strings.TrimSuffix(why, ".")
	}
	return engine.Failed(class, "%s failed: %s (%s)%s.", capitalize(what), rep.Message, rep.Failure, why)
}

// clientResult reads what a client invocation left.
func clientResult(c clientReport) *engine.ProcessResult {
	out, _ := os.ReadFile(filepath.Join(c.Dir, clientStdoutFile))
	errb, _ := os.ReadFile(filepath.Join(c.Dir, clientStderrFile))
	return &engine.ProcessResult{ExitCode: c.ExitCode, TimedOut: c.TimedOut, Stdout: out, Stderr: errb,
		Duration: time.Duration(c.Seconds * float64(time.Second))}
}

// withLogs adds the server logs to a result's outputs.
func (r *runner) withLogs(outputs map[string][]byte) map[string][]byte {
	if len(r.logs) == 0 {
		return outputs
	}
	if outputs == nil {
		outputs = map[string][]byte{}
	}
	for k, v := range r.logs {
		outputs[k] = v
	}
	return outputs
}
