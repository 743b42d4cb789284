// Package slurm is an engine.Executor that runs actions as Slurm jobs: one `sbatch` per
// action, state from `scontrol show job`, `scancel` on cancellation. The job runs the same
// isobench binary on the node (`isobench exec-action DIR`) over a job directory on a shared
// filesystem, as Snakemake and Nextflow assume; the coordinator reads the result back and
// stores it in its own cache like any local result.
package slurm

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/isobench/isobench/engine"
)

// Config is the `executor "slurm" { ... }` block of isobench.hcl, decoded.
type Config struct {
	Partition  string
	Account    string
	QOS        string
	SbatchArgs []string // appended to every sbatch, for what isobench has no attribute for
	// Poll is how often the state of the build's jobs is read. scontrol asks the controller,
	// so a large build should not poll faster than every few seconds.
	Poll time.Duration
	// MaxJobs caps the jobs in flight at once (pending or running); -j caps them too.
	MaxJobs int
	// Mnemonics are the sorts of action sent to the cluster (the block's `kinds`); the rest
	// (commit facts, datasets) are cheap and stay local.
	Mnemonics []string
	// Workdir is the shared directory holding the job directories.
	Workdir string
	// Features maps a compute capability to the node feature a site gives nodes with GPUs of
	// that capability ("9.0" -> "sm90"). A benchmark requiring capability X gets the
	// constraint naming every feature of capability X or newer.
	Features map[string]string
	GPUFlag  GPUFlag
	Memory   string // --mem, e.g. "32G"; "" for the partition's default
	// TimeLimit is the --time of a job whose action gives no timeout of its own (an
	// environment build); a measurement's comes from its timeout and sample count.
	TimeLimit time.Duration
	// Retries is the budget of resubmissions per action after a job was lost (node failure,
	// preemption, cancelled by someone else).
	Retries int
	// Binary is the isobench the nodes run; "" for this executable.
	Binary string
	// Vars are the build's --var values, so the node loads the same workspace.
	Vars map[string]string
}

// GPUFlag is how a job asks for GPUs.
type GPUFlag string

const (
	GPUFlagGPUs GPUFlag = "gpus" // --gpus=N
	GPUFlagGRES GPUFlag = "gres" // --gres=gpu:N, for sites without the gres/gpu TRES
)

// Defaults.
const (
	DefaultPoll    = 5 * time.Second
	DefaultMaxJobs = 100
	DefaultRetries = 3
	// DefaultTimeLimit covers an environment build from source (vLLM's takes about half an
	// hour on a 16-core node) with room to spare.
	DefaultTimeLimit = 2 * time.Hour
)

// DefaultMnemonics are measurements and environment builds: the heavy actions.
var DefaultMnemonics = []string{"measure", "environment"}

// schema declares the block's attributes; the loader checks their types and bounds.
var schema = &engine.Schema{Attrs: []engine.Attr{
	{Name: "partition", Type: engine.TypeString},
	{Name: "account", Type: engine.TypeString},
	{Name: "qos", Type: engine.TypeString},
	{Name: "sbatch_args", Type: engine.TypeStrings},
	{Name: "poll_interval", Type: engine.TypeDuration, Positive: true},
	{Name: "max_jobs", Type: engine.TypeInt, Min: engine.AtLeast(1)},
	{Name: "kinds", Type: engine.TypeStrings},
	{Name: "workdir", Type: engine.TypeString},
	{Name: "features", Type: engine.TypeStringMap},
	{Name: "gpu_flag", Type: engine.TypeString, OneOf: []string{string(GPUFlagGPUs), string(GPUFlagGRES)}},
	{Name: "memory", Type: engine.TypeString},
	{Name: "time_limit", Type: engine.TypeDuration, Positive: true},
	{Name: "retries", Type: engine.TypeInt, Min: engine.AtLeast(0)},
	{Name: "binary", Type: engine.TypeString},
}}

// decode reads the executor block (nil: isobench.hcl has none, so the defaults). It is the
// only place that reads the block's attributes by name. The workdir defaults to
// .isobench-slurm in the workspace root, which is on the shared filesystem whenever the
// workspace is.
func decode(root string, b *engine.Body) (*Config, hcl.Diagnostics) {
	c := &Config{Poll: DefaultPoll, MaxJobs: DefaultMaxJobs, Mnemonics: DefaultMnemonics, GPUFlag: GPUFlagGPUs,
		TimeLimit: DefaultTimeLimit, Retries: DefaultRetries, Workdir: filepath.Join(root, ".isobench-slurm")}
	if b == nil {
		return c, nil
	}
	c.Partition, c.Account, c.QOS = b.String("partition"), b.String("account"), b.String("qos")
	c.SbatchArgs = b.Strings("sbatch_args")
	c.Poll = b.Duration("poll_interval", c.Poll)
	c.MaxJobs = b.Int("max_jobs", c.MaxJobs)
	if b.Has("kinds") {
		c.Mnemonics = b.Strings("kinds")
	}
	if w := b.String("workdir"); w != "" {
		c.Workdir = w
		if !filepath.IsAbs(w) {
			c.Workdir = filepath.Join(root, w)
		}
	}
	c.Features = b.StringMap("features")
	if f := b.String("gpu_flag"); f != "" {
		c.GPUFlag = GPUFlag(f)
	}
	c.Memory = b.String("memory")
	c.TimeLimit = b.Duration("time_limit", c.TimeLimit)
	c.Retries = b.Int("retries", c.Retries)
	c.Binary = b.String("binary")

	var diags hcl.Diagnostics
	for _, cc := range slices.Sorted(maps.Keys(c.Features)) {
		if _, err := parseCapability(cc); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid compute capability",
				Detail:  fmt.Sprintf("The slurm executor's features map %q, which is not a compute capability like \"9.0\".", cc),
				Subject: b.AttrRange("features").Ptr()})
		}
	}
	return c, diags
}

// constraint is the --constraint for a minimum compute capability: every mapped feature of
// that capability or newer, joined with | (any of them). ok is false when features are
// configured but none is new enough: no node the site described can run it.
func (c *Config) constraint(minCC string) (string, bool) {
	if minCC == "" || len(c.Features) == 0 {
		return "", true
	}
	want, err := parseCapability(minCC)
	if err != nil {
		return "", true
	}
	var names []string
	for _, cc := range slices.Sorted(maps.Keys(c.Features)) {
		if have, _ := parseCapability(cc); have >= want {
			names = append(names, c.Features[cc])
		}
	}
	return strings.Join(names, "|"), len(names) > 0
}

// parseCapability reads "9.0" as 90, "10.0" as 100, so capabilities compare as numbers.
func parseCapability(s string) (int, error) {
	major, minor, _ := strings.Cut(s, ".")
	ma, err := strconv.Atoi(major)
	if err != nil {
		return 0, err
	}
	mi := 0
	if minor != "" {
		if mi, err = strconv.Atoi(minor); err != nil {
			return 0, err
		}
	}
	return ma*10 + mi, nil
}
