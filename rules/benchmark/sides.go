package benchmark

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo"
)

// maxOutput caps what is kept of each run's stdout and stderr (the tail). A test that prints
// without end must not fill the memory or the log; the value is on the last lines anyway.
const maxOutput = 1 << 20

// logTailBytes is how much of a failed run's output goes to the action's log.
const logTailBytes = 16 << 10

// recordTailBytes is how much of it the record keeps (OutputTail): the dataset holds one per
// failed benchmark, and the reason a test failed is in its last lines.
const recordTailBytes = 4 << 10

// sideSetup is how to run the test for one side: the program, its arguments, the tree it runs
// in, and the variables its environment adds.
type sideSetup struct {
	side artifact.Side
	path string
	args []string
	// tree is the private copy of the commit's files that a command runs in; "" for scripts,
	// which run in an empty directory of their own.
	tree  string
	vars  map[string]string
	path0 string // directory put first on PATH
	// envDir is the side's environment, "" for the machine's python3 (sandbox.go).
	envDir       string
	pythonPrefix string   // where the machine's python3 is installed, when it runs the test
	cacheDirs    []string // the environment's shared caches, writable
	network      bool
	secrets      []string // names of the variables passed from isobench's environment
	scratch      []string // directories to remove afterwards (a variant's tree and overlay)
	// forks is the side's preloading process, which forks every run (preload.go); nil
	// without preload: each run is then a fresh process.
	forks *preloader
}

type sideSetups map[artifact.Side]*sideSetup

func (s sideSetups) of(side artifact.Side) *sideSetup { return s[side] }

func (s sideSetups) release() {
	for _, side := range s {
		if side.forks != nil {
			side.forks.stop()
		}
		if side.tree != "" {
			os.RemoveAll(side.tree)
		}
		for _, dir := range side.scratch {
			os.RemoveAll(dir)
		}
	}
}

// setup prepares both sides: the script file, the interpreter of each side's environment
// (or the machine's python3), and for commands a private copy of each commit's tree.
//
// Tests are untrusted code. They get engine.MinimalEnv (no API keys or tokens from the user's
// environment, only the variables the environment target declares), a HOME and TMPDIR of
// their own, and a fresh working directory per run; commands run in a copy of the commit's
// files private to this measurement rather than the shared worktree, so whatever a test
// writes next to its sources (result files, caches) cannot leak into another benchmark.
func (r *runner) setup(ctx context.Context) (sideSetups, error) {
	out := sideSetups{}
	r.recordIsolation()
	var script string
	if r.pr.script != nil {
		script = filepath.Join(r.x.TempDir, "test", "benchmark.py")
		if err := os.MkdirAll(filepath.Dir(script), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(script, r.pr.script, 0o444); err != nil {
			return nil, err
		}
	}
	for _, side := range r.pr.sides {
		s := &sideSetup{side: side, vars: map[string]string{},
			network: r.m.cfg.Isolation.AllowNetwork, secrets: r.m.cfg.Isolation.Secrets}
		python, err := r.python(side, s)
		if err != nil {
			out.release()
			return nil, err
		}
		variant := r.pr.variant != nil && side == r.pr.variant.v.Side()
		if variant {
			out[side] = s // released with the others if the patch fails
			if err := r.setupVariant(ctx, s); err != nil {
				out.release()
				return nil, err
			}
		}
		if r.pr.script != nil {
			s.path, s.args = python, []string{script}
		} else {
			s.path, s.args = "/bin/sh", []string{"-c", r.pr.commands[side]}
			if !variant { // a variant's command runs in the patched tree setupVariant made
				s.tree = filepath.Join(r.x.TempDir, string(side)+"-tree")
				if err := r.checkout(ctx, side, s.tree); err != nil {
					out.release()
					return nil, err
				}
			}
		}
		s.vars["ISOBENCH_SIDE"] = string(side)
		s.vars["ISOBENCH_COMMIT"] = r.pr.sha(side)
		// The devices held, numbered as NVML numbers them (PCI bus order); an empty list hides
		// every GPU from a CPU benchmark, so it cannot disturb a GPU measurement beside it.
		ids := make([]string, len(r.x.GPUs))
		for i, g := range r.x.GPUs {
			ids[i] = strconv.Itoa(g)
		}
		s.vars["CUDA_VISIBLE_DEVICES"] = strings.Join(ids, ",")
		s.vars["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
		out[side] = s
	}
	return out, nil
}

// python finds the interpreter of a side: its environment's, or the machine's python3, which
// is then also reachable as `python` for commands.
func (r *runner) python(side artifact.Side, s *sideSetup) (string, error) {
	if env := r.pr.envs[side]; env != nil {
		dir := artifact.EnvDir(r.x.UserCache, env.StoreKey)
		python := artifact.PythonIn(dir)
		if _, err := os.Stat(python); err != nil {
			// The environment action's StillValid should have rebuilt it; a directory removed
			// since (isobench gc in another terminal) is worth another try, not a cached failure.
			return "", fmt.Errorf("the %s environment has no interpreter at %s: %v", side, python, err)
		}
		for k, v := range env.Vars(dir) {
			s.vars[k] = v
		}
		for k, rel := range env.CacheDirs {
			cache := artifact.EnvCacheDir(r.x.UserCache, rel)
			if err := os.MkdirAll(cache, 0o755); err != nil {
				return "", err
			}
			s.vars[k] = cache
			s.cacheDirs = append(s.cacheDirs, cache)
		}
		s.path0 = artifact.BinIn(dir)
		s.envDir = dir
		return python, nil
	}
	py := machinePython()
	if py.path == "" {
		return "", fmt.Errorf("the benchmark names no environment and this machine has no python3 on PATH")
	}
	bin := filepath.Join(r.x.TempDir, "bin")
	if _, err := os.Stat(bin); err != nil {
		if err := os.MkdirAll(bin, 0o755); err != nil {
			return "", err
		}
		if err := os.Symlink(py.path, filepath.Join(bin, "python")); err != nil {
			return "", err
		}
	}
	s.path0 = bin
	s.pythonPrefix = engine.InstallPrefix(py.path)
	return py.path, nil
}

// checkout writes the commit's files for a command test.
func (r *runner) checkout(ctx context.Context, side artifact.Side, dir string) error {
	m, err := gitrepo.ForFacts(r.x.UserCache, r.x.Workspace, &r.pr.facts)
	if err != nil {
		return err
	}
	if err := m.Archive(ctx, r.pr.sha(side), dir); err != nil {
		return fmt.Errorf("cannot check out the %s commit for the command: %w", side, err)
	}
	return nil
}

// exec runs the test once, in a fresh process and a fresh directory, and removes the
// directory afterwards. With preload the process is forked (execForked), in a directory its
// preloading process's sandbox can write.
func (s *sideSetup) exec(ctx context.Context, x *engine.Exec, rn Run, timeout time.Duration) (*engine.ProcessResult, error) {
	parent := x.TempDir
	if s.forks != nil {
		parent = s.forks.dir
	}
	runDir := filepath.Join(parent, fmt.Sprintf("run-%s-%d", s.side, rn.Index))
	tmp := filepath.Join(runDir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(runDir)
	vars, mask := s.env(tmp)
	env := engine.MinimalEnv(runDir, vars)
	if s.forks != nil {
		return s.execForked(ctx, runDir, env, mask, timeout)
	}
	dir := runDir
	if s.tree != "" {
		dir = s.tree
	}
	return engine.RunCommand(ctx, engine.Command{
		Path:      s.path,
		Args:      s.args,
		Dir:       dir,
		Env:       env,
		Timeout:   timeout,
		MaxOutput: maxOutput,
		Sandbox:   s.sandbox(x, runDir),
		Mask:      mask,
	})
}

// env is the environment a run of the side adds to the minimal one: TMPDIR, the side's tools
// first on PATH, its variables and its secrets, with the secret values to mask in its output.
func (s *sideSetup) env(tmp string) (vars map[string]string, mask []string) {
	vars = map[string]string{"TMPDIR": tmp, "PATH": s.path0 + string(filepath.ListSeparator) + os.Getenv("PATH")}
	for k, v := range s.vars {
		vars[k] = v
	}
	secrets, mask, _ := engine.SecretVars(s.secrets)
	for k, v := range secrets {
		vars[k] = v
	}
	return vars, mask
}

// logTail writes the end of a failed run's output to the log and keeps a shorter end in the
// record.
func (r *runner) logTail(what string, res *engine.ProcessResult) {
	out := res.Output()
	fmt.Fprintf(r.x.Log, "--- output of %s (exit %d, %s), last %d bytes:\n%s\n---\n",
		what, res.ExitCode, res.Duration.Round(time.Millisecond), min(len(out), logTailBytes), tail(out, logTailBytes))
	r.rec.OutputTail = tail(out, recordTailBytes)
}

// logOutput writes a successful run's output (its end) to the log.
func (r *runner) logOutput(what string, res *engine.ProcessResult) {
	out := res.Output()
	fmt.Fprintf(r.x.Log, "--- output of %s:\n%s\n---\n", what, tail(out, 4<<10))
}

// tail returns the last n bytes of b as text, starting at a line boundary when it was cut.
func tail(b []byte, n int) string {
	if len(b) <= n {
		return strings.TrimRight(string(b), "\n")
	}
	b = b[len(b)-n:]
	if i := strings.IndexByte(string(b), '\n'); i >= 0 && i < len(b)-1 {
		b = b[i+1:]
	}
	return strings.TrimRight(string(b), "\n")
}

// lastLine is the last non-empty line of a run's stderr, else stdout: usually the exception.
func lastLine(res *engine.ProcessResult) string {
	for _, out := range [][]byte{res.Stderr, res.Stdout} {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
			if len(l) > 300 {
				l = l[:300] + "..."
			}
			return l
		}
	}
	return "it printed nothing"
}
