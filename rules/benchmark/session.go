package benchmark

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/isobench/isobench/engine"
)

// A server session runs inside the run's sandbox as isobench itself, re-executed with
// sessionArg: the server, the readiness check and the clients must share the sandbox's
// loopback, so the supervisor that starts them must be in there with them. It reads its
// sessionSpec from a file, leaves a sessionReport, the server log and each client's output in
// the run directory, and exits 0 whatever happened to them; the runner outside (serving.go)
// reads what it left.
const sessionArg = "isobench-server-session"

func init() {
	if len(os.Args) == 3 && os.Args[1] == sessionArg {
		os.Exit(sessionMain(os.Args[2]))
	}
}

// sessionSpec is what the supervisor runs.
type sessionSpec struct {
	Server       string        `json:"server,omitempty"` // the server's command line; "" for none
	Ready        string        `json:"ready,omitempty"`
	ReadyLog     string        `json:"ready_log,omitempty"`
	ReadyTimeout time.Duration `json:"ready_timeout"`
	StopGrace    time.Duration `json:"stop_grace"`
	Client       string        `json:"client"`
	ClientRuns   int           `json:"client_runs"`
	Timeout      time.Duration `json:"timeout"` // per client invocation
	Dir          string        `json:"dir"`     // where both commands run: the commit's files
	RunDir       string        `json:"run_dir"` // writable; the report and the logs go here
	MaxOutput    int           `json:"max_output"`
	// ResultFile, relative, is looked for in the client's ISOBENCH_RUN_DIR, else in its
	// working directory (vLLM's --result-filename without --result-dir writes there).
	ResultFile string `json:"result_file,omitempty"`
}

// sessionReport is how the session went.
type sessionReport struct {
	Port         int            `json:"port"`
	ReadySeconds float64        `json:"ready_seconds"`
	StopSeconds  float64        `json:"stop_seconds"`
	Failure      string         `json:"failure,omitempty"` // ServerExited, ..., "" when every client ran
	Message      string         `json:"message,omitempty"`
	ServerExit   *int           `json:"server_exit,omitempty"`
	Clients      []clientReport `json:"clients"`
}

type clientReport struct {
	Dir      string  `json:"dir"` // the client's ISOBENCH_RUN_DIR: its result file is here
	ExitCode int     `json:"exit_code"`
	Seconds  float64 `json:"seconds"`
	TimedOut bool    `json:"timed_out,omitempty"`
}

// Files a session leaves in its run directory.
const (
	sessionSpecFile   = "session.json"
	sessionReportFile = "session-report.json"
	serverLogFile     = "server.log"
	clientStdoutFile  = "stdout"
	clientStderrFile  = "stderr"
)

// serverLogMax bounds the server log kept per session: its head (how it started) and its
// tail (how it ended) are what explain a failure; a server that logs every request would
// otherwise fill the CAS.
const serverLogMax = 1 << 20

// readyPoll is how often readiness is checked: a tenth of a second adds at most that to the
// recorded start time, and a poll of /health costs the server nothing.
const readyPoll = 100 * time.Millisecond

func sessionMain(specPath string) int {
	b, err := os.ReadFile(specPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "isobench session:", err)
		return 2
	}
	var spec sessionSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		fmt.Fprintln(os.Stderr, "isobench session:", err)
		return 2
	}
	rep := runSession(&spec)
	out, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(filepath.Join(spec.RunDir, sessionReportFile), out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "isobench session:", err)
		return 2
	}
	return 0
}

func runSession(spec *sessionSpec) *sessionReport {
	rep := &sessionReport{Clients: []clientReport{}}
	port, err := freePort()
	if err != nil {
		rep.Failure, rep.Message = ServerExited, "no free port on loopback: "+err.Error()
		return rep
	}
	rep.Port = port
	os.Setenv("ISOBENCH_PORT", strconv.Itoa(port))
	os.Setenv("ISOBENCH_SERVER_URL", fmt.Sprintf("http://127.0.0.1:%d", port))

	var srv *serverProc
	if spec.Server != "" {
		log := &headTail{max: serverLogMax}
		defer func() {
			os.WriteFile(filepath.Join(spec.RunDir, serverLogFile), log.Bytes(), 0o644)
		}()
		start := time.Now()
		srv, err = startServer(spec, log)
		if err != nil {
			rep.Failure, rep.Message = ServerExited, "the server could not be started: "+err.Error()
			return rep
		}
		defer func() { rep.StopSeconds = srv.stop(spec.StopGrace).Seconds() }()
		if failure, msg := srv.waitReady(spec, port); failure != "" {
			rep.Failure, rep.Message, rep.ServerExit = failure, msg, srv.exitCode()
			return rep
		}
		rep.ReadySeconds = time.Since(start).Seconds()
	}
	for i := range spec.ClientRuns {
		dir := filepath.Join(spec.RunDir, fmt.Sprintf("client-%d", i+1))
		c := clientReport{Dir: dir}
		if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
			rep.Failure, rep.Message = ClientFailed, err.Error()
			return rep
		}
		inTree := ""
		if spec.ResultFile != "" && !filepath.IsAbs(spec.ResultFile) {
			// The tree is copy-on-write for the session: a result file an earlier client left
			// there must not pass for this one's.
			inTree = filepath.Join(spec.Dir, spec.ResultFile)
			os.Remove(inTree)
		}
		env := append(os.Environ(), "ISOBENCH_RUN_DIR="+dir, "TMPDIR="+filepath.Join(dir, "tmp"))
		res, err := engine.RunCommand(context.Background(), engine.Command{Path: "/bin/sh", Args: []string{"-c", spec.Client},
			Dir: spec.Dir, Env: env, Timeout: spec.Timeout, MaxOutput: spec.MaxOutput})
		if err != nil {
			rep.Failure, rep.Message = ClientFailed, "the client could not be started: "+err.Error()
			return rep
		}
		os.WriteFile(filepath.Join(dir, clientStdoutFile), res.Stdout, 0o644)
		os.WriteFile(filepath.Join(dir, clientStderrFile), res.Stderr, 0o644)
		if inTree != "" {
			if _, err := os.Stat(filepath.Join(dir, spec.ResultFile)); err != nil {
				if b, err := os.ReadFile(inTree); err == nil {
					os.MkdirAll(filepath.Dir(filepath.Join(dir, spec.ResultFile)), 0o755)
					os.WriteFile(filepath.Join(dir, spec.ResultFile), b, 0o644)
				}
			}
		}
		c.ExitCode, c.Seconds, c.TimedOut = res.ExitCode, res.Duration.Seconds(), res.TimedOut
		rep.Clients = append(rep.Clients, c)
		// A client that failed may have failed because the server died, and the server's
		// exit can be reaped a moment after the client's: wait for it briefly before blaming
		// the client.
		clientFailed := res.TimedOut || res.ExitCode != 0
		switch {
		case srv != nil && (srv.exited() || clientFailed && srv.exitedWithin(serverReapGrace)):
			rep.Failure, rep.ServerExit = ServerDied, srv.exitCode()
			rep.Message = fmt.Sprintf("the server exited (status %d) while client %d ran", *rep.ServerExit, i+1)
			return rep
		case res.TimedOut:
			rep.Failure, rep.Message = ClientTimeout, fmt.Sprintf("client %d did not finish within %s", i+1, spec.Timeout)
			return rep
		case res.ExitCode != 0:
			rep.Failure, rep.Message = ClientFailed, fmt.Sprintf("client %d exited with status %d", i+1, res.ExitCode)
			return rep
		}
	}
	return rep
}

// freePort asks the kernel for a port that is free on loopback. Inside a sandbox the loopback
// is the session's own, so nothing else can take it before the server binds it.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// serverProc is the running server: a process group of its own.
type serverProc struct {
	cmd      *exec.Cmd
	done     chan struct{}
	readyLog chan struct{} // closed when the log matched ready_log
	copied   chan struct{} // closed when the server's output is all in the log
}

func startServer(spec *sessionSpec, log *headTail) (*serverProc, error) {
	cmd := exec.Command("/bin/sh", "-c", spec.Server)
	cmd.Dir = spec.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	w.Close()
	p := &serverProc{cmd: cmd, done: make(chan struct{}), readyLog: make(chan struct{}), copied: make(chan struct{})}
	var re *regexp.Regexp
	if spec.ReadyLog != "" {
		re = regexp.MustCompile(spec.ReadyLog)
	}
	go func() {
		defer close(p.copied)
		defer r.Close()
		br := bufio.NewReader(r)
		matched := re == nil
		for {
			line, err := br.ReadBytes('\n')
			log.Write(line)
			if !matched && re.Match(line) {
				matched = true
				close(p.readyLog)
			}
			if err != nil {
				return
			}
		}
	}()
	go func() { cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *serverProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// serverReapGrace is how long a failed client's session waits to learn whether the server
// died first. A process that exited is reaped within milliseconds; a second covers a loaded
// machine, and a server that is still alive costs a failed session only this wait.
const serverReapGrace = time.Second

// exitedWithin reports whether the server exits within d.
func (p *serverProc) exitedWithin(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

func (p *serverProc) exitCode() *int {
	if !p.exited() {
		return nil
	}
	c := p.cmd.ProcessState.ExitCode()
	return &c
}

// waitReady waits until the server answers: ready's path with 200, a line of its output
// matching ready_log, or without either, a connection accepted on its port.
func (p *serverProc) waitReady(spec *sessionSpec, port int) (failure, msg string) {
	deadline := time.NewTimer(spec.ReadyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// last is what the last check saw, for the message of a server never ready: a port
	// nobody listens on (the command does not pass $ISOBENCH_PORT) or a path that answers
	// 404 says what to fix.
	last := fmt.Sprintf("no line of its output matched %q", spec.ReadyLog)
	for {
		select {
		case <-p.done:
			<-p.copied
			return ServerExited, fmt.Sprintf("the server exited with status %d before it was ready", *p.exitCode())
		case <-deadline.C:
			return ServerNotReady, fmt.Sprintf("the server was not ready within %s: %s", spec.ReadyTimeout, last)
		case <-p.readyLog:
			return "", ""
		case <-tick.C:
		}
		switch {
		case spec.ReadyLog != "":
		case spec.Ready != "":
			resp, err := client.Get("http://" + addr + spec.Ready)
			if err != nil {
				last = notListening(addr, err)
				break
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return "", ""
			}
			last = fmt.Sprintf("GET %s answered %s", spec.Ready, resp.Status)
		default:
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				return "", ""
			}
			last = notListening(addr, err)
		}
	}
}

// notListening says what a failed check of the server's port found.
func notListening(addr string, err error) string {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Sprintf("nothing listened on %s, the port in ISOBENCH_PORT (does the server command pass --port ${server.port}?)", addr)
	}
	return err.Error()
}

// stop ends the server's process group: SIGTERM, then SIGKILL after grace. It returns how
// long the server took to exit.
func (p *serverProc) stop(grace time.Duration) time.Duration {
	start := time.Now()
	pid := p.cmd.Process.Pid
	if !p.exited() {
		syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
	}
	took := time.Since(start)
	syscall.Kill(-pid, syscall.SIGKILL) // whatever of the group is left
	<-p.done
	select {
	case <-p.copied:
	case <-time.After(2 * time.Second):
	}
	return took
}

// headTail keeps the first quarter of max bytes written and the last three quarters, with a
// line saying how much was left out between them.
type headTail struct {
	mu      sync.Mutex
	max     int
	head    []byte
	tail    []byte
	dropped int64
}

func (h *headTail) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(p)
	if room := h.max/4 - len(h.head); room > 0 {
		k := min(room, len(p))
		h.head = append(h.head, p[:k]...)
		p = p[k:]
	}
	h.tail = append(h.tail, p...)
	if keep := h.max - h.max/4; len(h.tail) > 2*keep {
		over := len(h.tail) - keep
		h.dropped += int64(over)
		h.tail = h.tail[:copy(h.tail, h.tail[over:])]
	}
	return n, nil
}

func (h *headTail) Bytes() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	tail := h.tail
	dropped := h.dropped
	if keep := h.max - h.max/4; len(tail) > keep {
		dropped += int64(len(tail) - keep)
		tail = tail[len(tail)-keep:]
	}
	out := append([]byte{}, h.head...)
	if dropped > 0 {
		out = append(out, fmt.Sprintf("\n[isobench: %d bytes of the server's output left out here]\n", dropped)...)
	}
	return append(out, tail...)
}
