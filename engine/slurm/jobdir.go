package slurm

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
)

// A job directory, on the filesystem the coordinator and the nodes share, is everything one
// job needs and everything it hands back:
//
//	spec.json    what to run (Spec), written by the coordinator
//	blobs/<dg>   the dependencies' outputs, and the job's own outputs, named by digest
//	job.sh       the batch script: `isobench exec-action DIR`
//	slurm-N.out  Slurm's output of attempt N (the binary's own errors)
//	log          the action's log
//	result.json  the outcome (Outcome), renamed into place when complete
const (
	specFile   = "spec.json"
	resultFile = "result.json"
	logFile    = "log"
	blobDir    = "blobs"
)

// Spec is the serialised description of one action: enough for the node to derive the same
// action from the workspace and prepare it with the results its dependencies had here.
type Spec struct {
	Root      string            `json:"root"`      // the workspace, on the shared filesystem
	Vars      map[string]string `json:"vars"`      // the build's --var values
	UserCache string            `json:"userCache"` // mirrors and environments, shared too
	Label     string            `json:"label"`     // the target the action was planned for
	ActionID  string            `json:"actionId"`
	Mnemonic  string            `json:"kind"`
	Key       cache.Digest      `json:"key"`
	Desc      string            `json:"desc"` // the key's description on the coordinator
	// Deps are the dependencies' results by action ID; their outputs are in blobs/.
	Deps map[string]*engine.Outcome `json:"deps"`
}

// Outcome is what the node writes back: an engine.Result with outputs by digest.
type Outcome struct {
	Status    engine.Status           `json:"status"`
	Class     string                  `json:"class,omitempty"`
	Message   string                  `json:"message,omitempty"`
	Transient bool                    `json:"transient,omitempty"`
	Outputs   map[string]cache.Digest `json:"outputs,omitempty"`
	Meta      json.RawMessage         `json:"meta,omitempty"`
	Counters  map[string]int64        `json:"counters,omitempty"`
	Node      string                  `json:"node"` // the host that ran it
	// Desc is the key's description as the node computed it: its hardware lines say which
	// machine measured.
	Desc string `json:"desc,omitempty"`
}

// dirBlobs is a CAS in a directory: one file per blob, named by its digest.
type dirBlobs struct{ dir string }

func (b dirBlobs) Put(data []byte) (cache.Digest, error) {
	d := cache.Sum(data)
	path := filepath.Join(b.dir, string(d))
	if _, err := os.Stat(path); err == nil {
		return d, nil
	}
	if err := engine.WriteFileAtomic(path, data); err != nil {
		return "", err
	}
	return d, nil
}

func (b dirBlobs) Get(d cache.Digest) ([]byte, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("invalid digest %q", d)
	}
	data, err := os.ReadFile(filepath.Join(b.dir, string(d)))
	if err != nil {
		return nil, fmt.Errorf("the job directory has no blob %s: %w", d, err)
	}
	return data, nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return engine.WriteFileAtomic(path, data)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s is not valid JSON: %w", path, err)
	}
	return nil
}

// writeSpec makes the job directory: the spec and the blobs of every dependency output.
func writeSpec(dir string, spec *Spec, store engine.Blobs) error {
	blobs := dirBlobs{filepath.Join(dir, blobDir)}
	if err := os.MkdirAll(blobs.dir, 0o755); err != nil {
		return fmt.Errorf("cannot make the job directory: %w", err)
	}
	for id, d := range spec.Deps {
		for name, dg := range d.Outputs {
			data, err := store.Get(dg)
			if err != nil {
				return fmt.Errorf("cannot read output %q of %s for the job: %w", name, id, err)
			}
			if _, err := blobs.Put(data); err != nil {
				return fmt.Errorf("cannot copy output %q of %s into the job directory: %w", name, id, err)
			}
		}
	}
	return writeJSON(filepath.Join(dir, specFile), spec)
}

// readOutcome turns the node's result.json into an engine.Result with its output bytes.
func readOutcome(dir string) (*engine.Result, *Outcome, error) {
	var o Outcome
	if err := readJSON(filepath.Join(dir, resultFile), &o); err != nil {
		return nil, nil, err
	}
	res := &engine.Result{Status: o.Status, Class: o.Class, Message: o.Message, Transient: o.Transient,
		Counters: o.Counters, Outputs: map[string][]byte{}}
	if len(o.Meta) > 0 {
		res.Meta = o.Meta
	}
	blobs := dirBlobs{filepath.Join(dir, blobDir)}
	for name, dg := range o.Outputs {
		data, err := blobs.Get(dg)
		if err != nil {
			return nil, nil, fmt.Errorf("the job's output %q is missing: %w", name, err)
		}
		res.Outputs[name] = data
	}
	return res, &o, nil
}
