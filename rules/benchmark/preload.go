package benchmark

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// A benchmark with `preload` starts one long-lived Python process per side, in the side's
// sandbox, environment and limits, which imports the modules once and then forks a child per
// run, warmups included (preload.py). Runs stay the unit of independence: each child is a
// process of its own, with its own pid and process group, the run's argv, working directory,
// HOME, TMPDIR and environment, stdin from /dev/null and its stdout and stderr on pipes that
// isobench reads as it reads a fresh process's (engine.RunForked); it runs the script as
// __main__ and exits through the interpreter's own exit. A run's timeout kills its process
// group, and after every run the preloading process kills whatever the run left: its group,
// and inside a sandbox every other process of the PID namespace, as the end of a sandboxed
// run does. CUDA must not be initialised before the fork (a child cannot use an inherited
// context): the process checks after each import and fails, naming the module, if one did;
// with preload = "imports" that import and the rest are left to the runs instead.
//
// What a run shares with the others of its side: the imported modules' state as the imports
// left it, the hash seed of str (PYTHONHASHSEED is drawn once per interpreter), the sandbox's
// /tmp and /dev/shm. The random module and numpy's global generator are reseeded in each child
// and tempfile forgets its directory, as a fresh process would draw them anew.

//go:embed preload.py
var preloadPy string

// Failure classes of preloading beyond the runs' own.
const (
	// ClassPreloadFailed: importing a preloaded module initialised CUDA, which a forked run
	// cannot use. Cached: the same imports at the same commits do the same; the fix is the
	// benchmark's preload, which is in the key.
	ClassPreloadFailed = "preload_failed"
)

// preloadStopGrace is how long a preloading process has to exit once isobench closes its
// socket: it has nothing to clean up, so two seconds are plenty; then it is killed.
const preloadStopGrace = 2 * time.Second

// preloadKillGrace is how long the preloading process has to confirm a run's kill before it is
// killed itself, taking the run with it. It answers at once unless it is stuck.
const preloadKillGrace = 5 * time.Second

// preloader is one side's preloading process, as isobench holds it.
type preloader struct {
	side artifact.Side
	// dir is writable in the process's sandbox: its home, and each run's directory.
	dir       string
	isolation engine.Isolation
	conn      *net.UnixConn
	msgs      chan preloadMsg // from the process, in order; closed when its socket ends
	out       *headTail       // its own output: what the imports printed
	cancel    context.CancelFunc
	done      chan struct{} // closed once the process has exited
	ended     *engine.ProcessResult
	endErr    error
	ready     preloadMsg
	failed    preloadMsg // what it said when its imports failed
}

// preloadMsg is a message of the preloading process: ready (imports done), failed (they
// failed), started (a run forked), exit (it ended), error (a fork failed).
type preloadMsg struct {
	Op string `json:"op"`
	// ready
	Modules []string `json:"modules"`
	Skipped []string `json:"skipped"`
	Threads int      `json:"threads"`
	Seconds float64  `json:"seconds"`
	// failed: kind is "import", "cuda" (Modules: those imported before Module) or
	// "internal"; error
	Kind    string `json:"kind"`
	Module  string `json:"module"`
	Message string `json:"message"`
	// started
	Pid int `json:"pid"`
	// exit: code is -1 when a signal ended the run
	Code  int   `json:"code"`
	Nanos int64 `json:"nanos"`
}

// preloadSettings is what the process is told on its command line.
type preloadSettings struct {
	Script  string   `json:"script"`
	Modules []string `json:"modules"`
	Imports bool     `json:"imports"`
	// PIDNamespace allows it to kill every process but itself and pid 1 after a run.
	PIDNamespace bool `json:"pid_namespace"`
}

// errPreloadLost is the loss of a side's preloading process: a run forked from it cannot go
// on, and nothing can be said of the commit. Transient.
type errPreloadLost struct {
	side artifact.Side
	why  string
}

func (e *errPreloadLost) Error() string {
	return fmt.Sprintf("the %s side's preloading process %s", e.side, e.why)
}

// startPreloader starts the side's preloading process. It returns once the process runs;
// waitReady waits for its imports.
func startPreloader(ctx context.Context, x *engine.Exec, s *sideSetup, p *Preload) (*preloader, error) {
	dir := filepath.Join(x.TempDir, "preload-"+string(s.side))
	home := filepath.Join(dir, "process")
	tmp := filepath.Join(home, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	// A socket of message boundaries: one JSON message a step, a run's pipes passed with its
	// request (SCM_RIGHTS). The process gets its end as stdin, which the sandbox passes on.
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "preload-control"), os.NewFile(uintptr(fds[1]), "preload-control")
	fc, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		theirs.Close()
		return nil, err
	}
	iso, _ := engine.SandboxIsolation()
	settings, _ := json.Marshal(preloadSettings{Script: s.args[0], Modules: p.Modules, Imports: p.ScriptImports,
		PIDNamespace: iso == engine.IsolationNamespaces})
	pctx, cancel := context.WithCancel(ctx)
	pl := &preloader{side: s.side, dir: dir, isolation: iso, conn: fc.(*net.UnixConn),
		msgs: make(chan preloadMsg, 4), out: &headTail{max: logTailBytes}, cancel: cancel, done: make(chan struct{})}
	vars, mask := s.env(tmp)
	go func() {
		pl.ended, pl.endErr = engine.RunCommand(pctx, engine.Command{
			Path:      s.path,
			Args:      []string{"-c", preloadPy, string(settings)},
			Dir:       dir,
			Env:       engine.MinimalEnv(home, vars),
			Stdin:     theirs,
			Log:       pl.out,
			MaxOutput: maxOutput,
			Sandbox:   s.sandbox(x, dir),
			Mask:      mask,
		})
		theirs.Close() // the last copy outside: the socket now ends for the reader
		close(pl.done)
	}()
	go pl.read()
	return pl, nil
}

func (pl *preloader) read() {
	defer close(pl.msgs)
	buf := make([]byte, 64<<10)
	for {
		n, _, _, _, err := pl.conn.ReadMsgUnix(buf, nil)
		if err != nil || n == 0 {
			return
		}
		var m preloadMsg
		if err := json.Unmarshal(buf[:n], &m); err != nil {
			m = preloadMsg{Op: "error", Message: fmt.Sprintf("unreadable message %q", buf[:n])}
		}
		pl.msgs <- m
	}
}

// waitReady waits for the imports, at most timeout (a run's: a fresh run would pay for them
// within it). It returns nil when the process is ready to fork, else the measurement's
// failure.
func (pl *preloader) waitReady(ctx context.Context, timeout time.Duration, p *Preload) *engine.Result {
	t := time.NewTimer(timeout)
	defer t.Stop()
	what := fmt.Sprintf("the %s side's preloading process", pl.side)
	select {
	case m, ok := <-pl.msgs:
		if m.Op == "failed" {
			pl.failed = m
			// It exits after saying so: wait for the end of its output (the traceback).
			select {
			case <-pl.done:
			case <-time.After(preloadStopGrace):
			}
		}
		switch {
		case !ok:
			return engine.Transient("preload_died", "%s", pl.lost("ended before its imports were done"))
		case m.Op == "ready":
			pl.ready = m
			return nil
		case m.Op == "failed" && m.Kind == "internal":
			return engine.Transient("error", "%s failed before its imports: %s", capitalize(what), m.Message)
		case m.Op == "failed" && m.Kind == "cuda":
			return engine.Failed(ClassPreloadFailed, "In %s, %s. Leave %s out of preload, or import it in the test itself.",
				what, m.Message, m.Module)
		case m.Op == "failed":
			// Deterministic: the same imports at the same commit fail the same way, and every
			// run of the test would have made them.
			return engine.Failed(failedClass(pl.side), "%s could not import %s (preload = %s): %s",
				capitalize(what), m.Module, p, m.Message)
		default:
			return engine.Transient("preload_died", "%s", pl.lost(fmt.Sprintf("said %q before it was ready", m.Op+" "+m.Message)))
		}
	case <-t.C:
		return engine.Failed(ClassTimeout, "%s did not finish its imports (preload = %s) within %s, the timeout of a run; it was killed.",
			capitalize(what), p, timeout)
	case <-ctx.Done():
		return engine.Transient("cancelled", "The measurement was cancelled while %s imported its modules.", what)
	}
}

// fork asks for a run: the child's argv, working directory and environment, and the write ends
// of its output pipes.
func (pl *preloader) fork(argv []string, cwd string, env []string, stdout, stderr *os.File) (engine.Forked, error) {
	req, _ := json.Marshal(map[string]any{"op": "run", "argv": argv, "cwd": cwd, "env": env})
	if _, _, err := pl.conn.WriteMsgUnix(req, syscall.UnixRights(int(stdout.Fd()), int(stderr.Fd())), nil); err != nil {
		return nil, pl.lost("could not be asked for a run: " + err.Error())
	}
	m, ok := <-pl.msgs
	switch {
	case !ok:
		return nil, pl.lost("ended as it was asked for a run")
	case m.Op == "error":
		return nil, fmt.Errorf("the %s side's preloading process could not fork the run: %s", pl.side, m.Message)
	case m.Op != "started":
		return nil, pl.lost(fmt.Sprintf("answered %q to a run", m.Op))
	}
	return &forkedRun{pl: pl, pid: m.Pid}, nil
}

// forkedRun is a run forked by a preloader (engine.Forked).
type forkedRun struct {
	pl       *preloader
	pid      int // in the sandbox's PID namespace, unless the isolation is a process group
	finished atomic.Bool
}

func (f *forkedRun) Wait() (int, time.Duration, error) {
	m, ok := <-f.pl.msgs
	f.finished.Store(true)
	if !ok || m.Op != "exit" {
		f.killGroup()
		if !ok {
			return -1, 0, f.pl.lost("ended during the run")
		}
		return -1, 0, f.pl.lost(fmt.Sprintf("answered %q instead of the run's exit", m.Op))
	}
	return m.Code, time.Duration(m.Nanos), nil
}

func (f *forkedRun) Kill() {
	req, _ := json.Marshal(map[string]string{"op": "kill"})
	f.pl.conn.Write(req)
	f.killGroup()
	// A process that does not confirm is stuck: killing it kills the run with it.
	time.AfterFunc(preloadKillGrace, func() {
		if !f.finished.Load() {
			f.pl.cancel()
		}
	})
}

// killGroup kills the run's process group from here, where no sandbox ends it with the
// preloading process (without namespaces the pid is the machine's).
func (f *forkedRun) killGroup() {
	if f.pl.isolation != engine.IsolationNamespaces && f.pid > 0 {
		syscall.Kill(-f.pid, syscall.SIGKILL)
	}
}

// lost describes the process's end for a run that cannot go on: how it exited, and the end of
// what it printed.
func (pl *preloader) lost(what string) error {
	why := what
	select {
	case <-pl.done:
		switch {
		case pl.endErr != nil:
			why += " (" + pl.endErr.Error() + ")"
		case pl.ended != nil && pl.ended.ExitCode == -1:
			why += " (killed by a signal: out of memory?)"
		case pl.ended != nil:
			why += fmt.Sprintf(" (exit status %d)", pl.ended.ExitCode)
		}
	case <-time.After(preloadStopGrace):
		why += " (it is still running)"
	}
	if out := pl.out.Bytes(); len(bytes.TrimSpace(out)) > 0 {
		why += ": " + lastLine(&engine.ProcessResult{Stdout: out})
	}
	return &errPreloadLost{side: pl.side, why: why}
}

// stop ends the process: its socket closed, it exits; killed if it does not.
func (pl *preloader) stop() {
	pl.conn.Close()
	select {
	case <-pl.done:
	case <-time.After(preloadStopGrace):
	}
	pl.cancel()
	<-pl.done
}

// preload starts every side's preloading process and waits for their imports, side by side.
// It returns the measurement's failure when one cannot be had.
func (r *runner) preload(ctx context.Context, sides sideSetups) *engine.Result {
	p := r.m.cfg.Preload
	what := strings.Join(p.Modules, ", ")
	if p.ScriptImports {
		what = "the test script's top-level imports"
	}
	fmt.Fprintf(r.x.Log, "preload: one process per side imports %s once; every run is forked from it\n", what)
	r.rec.Preload = &artifact.Preload{Modules: p.Modules, ScriptImports: p.ScriptImports, Sides: map[artifact.Side]artifact.PreloadedSide{}}
	for _, side := range r.pr.sides {
		pl, err := startPreloader(ctx, r.x, sides.of(side), p)
		if err != nil {
			return engine.Transient("error", "The %s side's preloading process could not be started: %s", side, err)
		}
		sides.of(side).forks = pl
	}
	type ready struct {
		side artifact.Side
		res  *engine.Result
		cuda string // the script's import that initialised CUDA, left to the runs
	}
	got := make(chan ready, len(r.pr.sides))
	for _, side := range r.pr.sides {
		go func() {
			s := sides.of(side)
			res := s.forks.waitReady(ctx, r.m.cfg.Timeout, p)
			f := s.forks.failed
			if res == nil || !p.ScriptImports || f.Kind != "cuda" {
				got <- ready{side: side, res: res}
				return
			}
			// The script's own imports, one of which initialises CUDA: preload those before
			// it, and leave it and the rest to the runs, which import them as a fresh run
			// does. A list names its modules on purpose: there, it is an error.
			s.forks.stop()
			pl, err := startPreloader(ctx, r.x, s, &Preload{Modules: f.Modules})
			if err != nil {
				got <- ready{side: side, res: engine.Transient("error", "The %s side's preloading process could not be started: %s", side, err)}
				return
			}
			s.forks = pl
			got <- ready{side: side, res: pl.waitReady(ctx, r.m.cfg.Timeout, p), cuda: f.Module}
		}()
	}
	results := map[artifact.Side]ready{}
	for range r.pr.sides {
		g := <-got
		results[g.side] = g
	}
	for _, side := range r.pr.sides {
		pl := sides.of(side).forks
		if out := strings.TrimSpace(string(pl.out.Bytes())); out != "" {
			fmt.Fprintf(r.x.Log, "--- output of the %s side's preloading process:\n%s\n---\n", side, tail([]byte(out), logTailBytes))
		}
		g := results[side]
		if res := g.res; res != nil {
			if !res.Transient {
				r.rec.OutputTail = tail(pl.out.Bytes(), recordTailBytes)
			}
			return res
		}
		m := pl.ready
		r.rec.Preload.Sides[side] = artifact.PreloadedSide{Imported: m.Modules, Skipped: m.Skipped, Seconds: m.Seconds, Threads: m.Threads,
			CUDAAtImport: g.cuda}
		fmt.Fprintf(r.x.Log, "preload %s: imported %s in %.2fs", side, strings.Join(m.Modules, ", "), m.Seconds)
		if len(m.Skipped) > 0 {
			fmt.Fprintf(r.x.Log, "; %s failed inside the script's own try, left to the runs", strings.Join(m.Skipped, ", "))
		}
		if g.cuda != "" {
			fmt.Fprintf(r.x.Log, "; importing %s initialised CUDA, which a forked run cannot inherit: it and the imports after it are left to the runs", g.cuda)
		}
		fmt.Fprintln(r.x.Log)
		if m.Threads > 1 {
			fmt.Fprintf(r.x.Log, "warning: the %s side's preloading process runs %d threads after its imports; a forked run has only the one that forked it\n", side, m.Threads)
		}
	}
	return nil
}

// execForked runs the test once, forked from the side's preloading process, in runDir with
// env, the run's directory and environment that exec made as for a fresh run.
func (s *sideSetup) execForked(ctx context.Context, runDir string, env, mask []string, timeout time.Duration) (*engine.ProcessResult, error) {
	pl := s.forks
	return engine.RunForked(ctx, engine.ForkedCommand{
		Start: func(stdout, stderr *os.File) (engine.Forked, error) {
			return pl.fork(s.args, runDir, env, stdout, stderr)
		},
		Timeout:   timeout,
		MaxOutput: maxOutput,
		Mask:      mask,
		Isolation: pl.isolation,
	})
}

// lostRun is the result of a run whose preloading process was lost.
func (r *runner) lostRun(lost *errPreloadLost, rn Run, res *engine.ProcessResult) *engine.Result {
	what := fmt.Sprintf("the %s run %d (%s)", rn.Side, rn.Index+1, runKind(rn))
	if res != nil {
		r.logTail(what, res)
	}
	return engine.Transient("preload_died", "%s: %s cannot go on. Not cached: the next build runs it again.", capitalize(lost.Error()), what)
}
