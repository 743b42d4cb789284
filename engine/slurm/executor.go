package slurm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/isobench/isobench/engine"
)

// Executor sends actions to Slurm. It is safe for the scheduler's workers to call at once.
type Executor struct {
	cfg   *Config
	slots chan struct{} // MaxJobs
}

var _ engine.Executor = (*Executor)(nil)

// New returns an executor over a configuration (decode, or ExecutorKind.New).
func New(cfg *Config) *Executor {
	return &Executor{cfg: cfg, slots: make(chan struct{}, cfg.MaxJobs)}
}

// Accepts takes the configured sorts of action (Config.Mnemonics). A measurement this machine
// would skip for want of a GPU is taken too: the coordinator is often a login node without
// GPUs, and the node the cluster picks is the machine whose hardware decides.
func (e *Executor) Accepts(a *engine.Action, w *engine.Work) bool {
	if !slices.Contains(e.cfg.Mnemonics, a.Mnemonic) {
		return false
	}
	return w.Run != nil || (w.Done != nil && w.Done.Status == engine.StatusSkipped)
}

// Execute runs one action as a Slurm job, resubmitting it when the job is lost, and returns
// the result the node wrote.
func (e *Executor) Execute(ctx context.Context, j *engine.Job) (*engine.Result, error) {
	args, refused := e.sbatchArgs(j)
	if refused != nil {
		return refused, nil
	}
	select {
	case e.slots <- struct{}{}:
		defer func() { <-e.slots }()
	case <-ctx.Done():
		return engine.Transient("cancelled", "The build was cancelled before the job was submitted."), nil
	}

	dir := filepath.Join(e.cfg.Workdir, string(j.Key)[:24])
	os.RemoveAll(dir) // a leftover of a build that was killed
	spec := &Spec{Root: j.Workspace.Root, Vars: e.cfg.Vars, UserCache: j.UserCache, Label: j.Action.Label.String(),
		ActionID: j.Action.ID, Mnemonic: j.Action.Mnemonic, Key: j.Key, Desc: j.Desc, Deps: j.Deps}
	if err := writeSpec(dir, spec, j.Store); err != nil {
		return nil, err
	}
	script := fmt.Sprintf("#!/bin/sh\n# %s\nexec %s exec-action %s\n", j.Action.ID, shellQuote(e.cfg.Binary), shellQuote(dir))
	if err := engine.WriteFileAtomic(filepath.Join(dir, "job.sh"), []byte(script)); err != nil {
		return nil, fmt.Errorf("cannot write the batch script: %w", err)
	}
	args = append(args, "--chdir="+dir, "--output="+filepath.Join(dir, "slurm-%j.out"), filepath.Join(dir, "job.sh"))

	for attempt := 0; ; attempt++ {
		os.Remove(filepath.Join(dir, resultFile))
		id, err := submit(ctx, args)
		if err != nil {
			if ctx.Err() != nil {
				return engine.Transient("cancelled", "The build was cancelled while the job was submitted."), nil
			}
			// Slurm refuses a request no node can ever meet (EnforcePartLimits): say why.
			return engine.Transient("unschedulable", "Slurm refused the job of %s: %s", j.Action.ID, err), nil
		}
		fmt.Fprintf(j.Log, "slurm: submitted job %s for %s (attempt %d of %d), job directory %s\n", id, j.Action.ID, attempt+1, e.cfg.Retries+1, dir)
		res, lost := e.wait(ctx, j, id, dir)
		if lost == "" {
			if res.Status == engine.StatusOK || !res.Transient {
				os.RemoveAll(dir)
			}
			return res, nil
		}
		fmt.Fprintf(j.Log, "slurm: job %s was lost: %s\n", id, lost)
		if attempt >= e.cfg.Retries {
			return engine.Transient("job_lost", "The Slurm job of %s was lost %d times, last: %s.", j.Action.ID, attempt+1, lost), nil
		}
	}
}

// wait polls the job until it ends. It returns the result, or why the job was lost (to
// resubmit). On cancellation it scancels the job.
func (e *Executor) wait(ctx context.Context, j *engine.Job, id, dir string) (res *engine.Result, lost string) {
	tick := time.NewTicker(e.cfg.Poll)
	defer tick.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			if err := cancel(id); err != nil {
				fmt.Fprintf(j.Log, "slurm: could not cancel job %s: %s\n", id, err)
			}
			return engine.Transient("cancelled", "The build was cancelled; Slurm job %s was cancelled.", id), ""
		case <-tick.C:
		}
		st, err := state(ctx, id)
		if err != nil {
			// The controller may be busy for a moment; a minute of failures is an outage.
			if failures++; time.Duration(failures)*e.cfg.Poll > time.Minute && failures > 5 {
				return engine.Transient("executor", "Cannot read the state of Slurm job %s: %s", id, err), ""
			}
			continue
		}
		failures = 0
		switch {
		case !st.Found:
			if r, err := e.ingest(j, id, dir); err == nil {
				return r, ""
			}
			return nil, "the controller no longer knows it and it left no result"
		case st.State == "PENDING" && neverStarts[st.Reason]:
			cancel(id)
			return engine.Transient("unschedulable", "Slurm cannot start the job of %s: it is pending with reason %s, which waiting will not change.", j.Action.ID, st.Reason), ""
		case !finished(st.State):
			continue
		case st.State == "COMPLETED", st.State == "FAILED":
			r, err := e.ingest(j, id, dir)
			if err != nil {
				return engine.Transient("job_failed", "Slurm job %s of %s ended %s (exit code %s) without a result: %s%s",
					id, j.Action.ID, st.State, st.ExitCode, err, tail(filepath.Join(dir, "slurm-"+id+".out"))), ""
			}
			return r, ""
		case lostStates[st.State]:
			return nil, fmt.Sprintf("Slurm says %s (reason %s) on node %s", st.State, st.Reason, st.Node)
		case st.State == "TIMEOUT":
			return engine.Transient("job_timeout", "Slurm job %s of %s ran past its time limit and was killed; raise time_limit or the benchmark's timeout.", id, j.Action.ID), ""
		case st.State == "OUT_OF_MEMORY":
			return engine.Transient("oom", "Slurm job %s of %s ran out of memory; raise memory in the executor block.", id, j.Action.ID), ""
		default:
			return engine.Transient("job_failed", "Slurm job %s of %s ended %s (reason %s).", id, j.Action.ID, st.State, st.Reason), ""
		}
	}
}

// ingest reads the node's result and log, and notes where the work ran.
func (e *Executor) ingest(j *engine.Job, id, dir string) (*engine.Result, error) {
	res, o, err := readOutcome(dir)
	if err != nil {
		return nil, err
	}
	if log, err := os.ReadFile(filepath.Join(dir, logFile)); err == nil {
		j.Log.Write(log)
	}
	fmt.Fprintf(j.Log, "slurm: job %s ran on %s\n", id, o.Node)
	if res.Counters == nil {
		res.Counters = map[string]int64{}
	}
	res.Counters["slurm_jobs"]++
	return res, nil
}

// sbatchArgs turns the action's needs into sbatch options. The GPU count and compute
// capability come from the measurement's key lines (requires.gpus,
// requires.compute_capability): the coordinator may have decided it cannot run the work
// itself, so its own Needs can be empty. It returns a result instead when no configured node
// feature can meet the requirement.
func (e *Executor) sbatchArgs(j *engine.Job) ([]string, *engine.Result) {
	c := e.cfg
	args := []string{"--job-name=isobench-" + j.Action.Mnemonic, "--no-requeue", "--ntasks=1"}
	for flag, v := range map[string]string{"--partition=": c.Partition, "--account=": c.Account, "--qos=": c.QOS, "--mem=": c.Memory} {
		if v != "" {
			args = append(args, flag+v)
		}
	}
	gpus := max(j.Work.Needs.GPUs, atoi(line(j.Work, "requires.gpus")))
	if gpus > 0 {
		if c.GPUFlag == GPUFlagGRES {
			args = append(args, fmt.Sprintf("--gres=gpu:%d", gpus))
		} else {
			args = append(args, fmt.Sprintf("--gpus=%d", gpus))
		}
	}
	if cc := line(j.Work, "requires.compute_capability"); gpus > 0 && cc != "" {
		cons, ok := c.constraint(cc)
		if !ok {
			return nil, engine.Transient("unschedulable",
				"%s needs compute capability %s, but no feature in the slurm executor's features map is that new; add the feature your site gives such nodes.", j.Action.ID, cc)
		}
		if cons != "" {
			args = append(args, "--constraint="+cons)
		}
	}
	if j.Work.Needs.CPU > 1 {
		args = append(args, fmt.Sprintf("--cpus-per-task=%d", j.Work.Needs.CPU))
	}
	args = append(args, fmt.Sprintf("--time=%d", int((jobTime(j.Work, c.TimeLimit)+time.Minute-1)/time.Minute)))
	return append(args, c.SbatchArgs...), nil
}

// jobTime is the --time of a job: for a measurement, every run (samples and warmup, both
// sides) at its full timeout plus ten minutes to set up; otherwise the configured limit.
func jobTime(w *engine.Work, def time.Duration) time.Duration {
	timeout, err := time.ParseDuration(line(w, "timeout"))
	if err != nil || timeout <= 0 {
		return def
	}
	runs := 2 * (atoi(line(w, "samples")) + atoi(line(w, "warmup")))
	return time.Duration(max(runs, 1))*timeout + 10*time.Minute
}

func line(w *engine.Work, name string) string {
	for _, l := range w.Lines {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// tail is the end of Slurm's output file, for a job that died before writing its result.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return ""
	}
	if len(data) > 1000 {
		data = data[len(data)-1000:]
	}
	return "; its output ends: " + strings.TrimSpace(string(data))
}
