package slurm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
)

// ExecAction is the node's half of a job (`isobench exec-action DIR`): derive the action
// again from the workspace, check that it describes the same work as on the coordinator, run
// it, and write result.json, the log and the output blobs into the job directory. Every
// outcome, a failure to load the workspace included, becomes a result; the error is only for
// a job directory that cannot be read or written. The node loads the workspace with the
// coordinator's kinds and executors (load).
func ExecAction(ctx context.Context, dir string, load engine.LoadOptions) error {
	var spec Spec
	if err := readJSON(filepath.Join(dir, specFile), &spec); err != nil {
		return fmt.Errorf("cannot read the job's spec: %w", err)
	}
	blobs := dirBlobs{filepath.Join(dir, blobDir)}
	var log bytes.Buffer
	load.Vars = spec.Vars
	res, desc := execAction(ctx, &spec, load, blobs, &log)
	host, _ := os.Hostname()
	return writeResult(dir, res, host, desc, blobs, log.Bytes())
}

func execAction(ctx context.Context, spec *Spec, load engine.LoadOptions, blobs dirBlobs, log *bytes.Buffer) (*engine.Result, string) {
	ws, diags := engine.Load(spec.Root, load)
	if diags.HasErrors() {
		return engine.Transient("workspace_changed", "The workspace changed under the job: it no longer loads on the node: %s", diags.Error()), ""
	}
	label, err := engine.ParseLabel(spec.Label)
	if err != nil {
		return engine.Transient("error", "The job names the invalid label %q.", spec.Label), ""
	}
	root, err := engine.NewPlanner(ws).Plan(label)
	if err != nil {
		return engine.Transient("workspace_changed", "The workspace changed under the job: %s cannot be planned on the node: %s", label, err), ""
	}
	a := engine.FindAction(root, spec.ActionID)
	if a == nil {
		return engine.Transient("workspace_changed", "The workspace changed under the job: planning %s on the node gives no action %q.", label, spec.ActionID), ""
	}
	in := engine.NewInputs(a, ws, spec.UserCache, blobs, spec.Deps)
	w, err := a.Prepare(ctx, in)
	if err != nil {
		class := "prepare_failed"
		if f, ok := err.(*engine.Failure); ok {
			class = f.Class
		}
		return engine.Transient(class, "%s", err), ""
	}
	desc := engine.Description(a.Mnemonic, w)
	if err := engine.CheckDescription(spec.Desc, desc); err != nil {
		return engine.Transient("workspace_changed", "%s", err), desc
	}
	return engine.RunHere(ctx, a, w, ws, spec.UserCache, blobs, jobGPUs(), log), desc
}

// writeResult stores the outputs as blobs and renames result.json into place last, so the
// coordinator sees a result only when everything it names is there.
func writeResult(dir string, res *engine.Result, host, desc string, blobs dirBlobs, log []byte) error {
	o := &Outcome{Status: res.Status, Class: res.Class, Message: res.Message, Transient: res.Transient,
		Counters: res.Counters, Node: host, Desc: desc}
	for name, data := range res.Outputs {
		d, err := blobs.Put(data)
		if err != nil {
			return fmt.Errorf("cannot write output %q: %w", name, err)
		}
		if o.Outputs == nil {
			o.Outputs = map[string]cache.Digest{}
		}
		o.Outputs[name] = d
	}
	if res.Meta != nil {
		m, err := json.Marshal(res.Meta)
		if err != nil {
			return fmt.Errorf("cannot encode the result's metadata: %w", err)
		}
		o.Meta = m
	}
	if err := engine.WriteFileAtomic(filepath.Join(dir, logFile), log); err != nil {
		return fmt.Errorf("cannot write the log: %w", err)
	}
	return writeJSON(filepath.Join(dir, resultFile), o)
}

// jobGPUs are the device indices Slurm gave the job. SLURM_JOB_GPUS holds the node's own
// indices, which NVML (the hardware probe) uses too; CUDA_VISIBLE_DEVICES is the fallback on
// sites that set only it.
func jobGPUs() []int {
	for _, name := range []string{"SLURM_JOB_GPUS", "SLURM_STEP_GPUS", "CUDA_VISIBLE_DEVICES"} {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		var gpus []int
		for _, s := range strings.Split(v, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
				gpus = append(gpus, n)
			}
		}
		if len(gpus) > 0 {
			return gpus
		}
	}
	return nil
}
