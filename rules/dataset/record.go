package dataset

// Record is one row of a dataset: one benchmark, whatever its outcome. The same struct is
// written as JSONL (json tags) and Parquet (parquet tags), so both formats always carry the
// same columns, and the dataset card lists them from this type by reflection.
//
// Field names follow what researchers already use in the upstream ISO-Bench data
// (base_commit, head_commit, commit_subject, commit_message, files_changed, affected_apis,
// efficiency_test, patch); the rest is isobench's own. A value that is not known is null,
// never NaN or Infinity and never a made-up zero: pointers and nil slices say "unknown".
type Record struct {
	Benchmark string `json:"benchmark" parquet:"benchmark"` // label of the benchmark target
	Commit    string `json:"commit" parquet:"commit"`       // label of the commit target
	// InstanceID is SWE-bench's owner__name-<short head>, unique in the dataset (identity.go).
	InstanceID *string `json:"instance_id" parquet:"instance_id,optional"`
	// Repo is owner/name for a forge URL (github.com/owner/name), else the repository as
	// declared (a path or bundle); RepoURL is always as declared.
	Repo          *string  `json:"repo" parquet:"repo,optional"`
	RepoURL       *string  `json:"repo_url" parquet:"repo_url,optional"`
	PRNumber      *int64   `json:"pr_number" parquet:"pr_number,optional"` // from "(#12345)" ending the subject
	PRURL         *string  `json:"pr_url" parquet:"pr_url,optional"`
	BaseCommit    *string  `json:"base_commit" parquet:"base_commit,optional"`
	HeadCommit    *string  `json:"head_commit" parquet:"head_commit,optional"`
	CommitSubject *string  `json:"commit_subject" parquet:"commit_subject,optional"`
	CommitMessage *string  `json:"commit_message" parquet:"commit_message,optional"`
	CommitDate    *string  `json:"commit_date" parquet:"commit_date,optional"`
	FilesChanged  []string `json:"files_changed" parquet:"files_changed,optional,list"`
	AffectedAPIs  []string `json:"affected_apis" parquet:"affected_apis,optional,list"`
	// Patch is the unified diff base..head without the test files, TestPatch those alone
	// (SWE-bench's split: files under test directories or named as tests).
	Patch     *string `json:"patch" parquet:"patch,optional"`
	TestPatch *string `json:"test_patch" parquet:"test_patch,optional"`

	// TestKind is how the test came to be: "generated", "script" or "command".
	TestKind       *string  `json:"test_kind" parquet:"test_kind,optional"`
	EfficiencyTest []string `json:"efficiency_test" parquet:"efficiency_test,optional,list"`
	// BenchmarkCommand is the command line that ran (null for a script); BenchmarkModel the
	// model it names with --model; BenchmarkMode serving, throughput, latency or script.
	BenchmarkCommand *string `json:"benchmark_command" parquet:"benchmark_command,optional"`
	BenchmarkModel   *string `json:"benchmark_model" parquet:"benchmark_model,optional"`
	BenchmarkMode    *string `json:"benchmark_mode" parquet:"benchmark_mode,optional"`
	// ServerCommand is the server a serving benchmark started per run (null without one): the
	// command line is the client's, the model the one either names.
	ServerCommand *string `json:"server_command" parquet:"server_command,optional"`
	// ServerSessions are a serving benchmark's server sessions, one per run in the order
	// they ran, warmups included (servers.go); empty without a server.
	ServerSessions []ServerSession `json:"server_sessions" parquet:"server_sessions,optional,list"`

	Metric    *string `json:"metric" parquet:"metric,optional"`
	Unit      *string `json:"unit" parquet:"unit,optional"`
	Direction *string `json:"direction" parquet:"direction,optional"` // "lower" or "higher" is better

	// BasePerformance and HeadPerformance hold every measured sample (warmups excluded), in
	// the order they ran; a sample that produced no value is null.
	BasePerformance []*float64 `json:"base_performance" parquet:"base_performance,optional,list"`
	HeadPerformance []*float64 `json:"head_performance" parquet:"head_performance,optional,list"`
	BaseMedian      *float64   `json:"base_median" parquet:"base_median,optional"`
	HeadMedian      *float64   `json:"head_median" parquet:"head_median,optional"`
	// PerformanceImprovement is the change of the median in percent, positive when head is
	// better whatever the direction (the upstream *_improvement_* columns' convention).
	PerformanceImprovement *float64 `json:"performance_improvement" parquet:"performance_improvement,optional"`
	Speedup                *float64 `json:"speedup" parquet:"speedup,optional"`
	CILow                  *float64 `json:"ci_low" parquet:"ci_low,optional"`
	CIHigh                 *float64 `json:"ci_high" parquet:"ci_high,optional"`
	PValue                 *float64 `json:"p_value" parquet:"p_value,optional"`
	PTest                  *string  `json:"p_test" parquet:"p_test,optional"` // the test of PValue
	// CILevel is the confidence level of the interval (0.95 unless the benchmark says
	// otherwise).
	CILevel *float64 `json:"ci_level" parquet:"ci_level,optional"`
	Verdict *string  `json:"verdict" parquet:"verdict,optional"`
	// VerdictReason is the measurement's one sentence on why, with its numbers.
	VerdictReason *string `json:"verdict_reason" parquet:"verdict_reason,optional"`

	// Metrics holds every metric the runs reported, the primary one (the one above) first,
	// each with its values grouped by run and its own comparison. A record measured before
	// runs could report several values has one metric of one value per run.
	Metrics  []MetricRecord `json:"metrics" parquet:"metrics,optional,list"`
	Sampling *Sampling      `json:"sampling" parquet:"sampling,optional"`
	// FlaggedRuns counts the measured runs with a flag (low GPU clock, hardware slowdown,
	// loaded CPU), LoadedRuns those on a loaded CPU; FlaggedPolicy says whether the verdict
	// kept or excluded the flagged runs.
	FlaggedRuns   *int64  `json:"flagged_runs" parquet:"flagged_runs,optional"`
	LoadedRuns    *int64  `json:"loaded_runs" parquet:"loaded_runs,optional"`
	FlaggedPolicy *string `json:"flagged_policy" parquet:"flagged_policy,optional"`

	// Variants are the benchmark's candidate patches (an agent's each), measured beside base
	// and head; empty for a benchmark without variants (variants.go).
	Variants []VariantRecord `json:"variants" parquet:"variants,optional,list"`
	// Preload says how the runs were started when the benchmark preloaded modules (each forked
	// from a process per side that had imported them once); null when every run was a fresh
	// process.
	Preload *Preload `json:"preload" parquet:"preload,optional"`

	// Status is ok, failed, skipped or blocked; FailureClass the class of the failure (for a
	// blocked benchmark, the class of the failure that blocked it).
	Status         string  `json:"status" parquet:"status"`
	FailureClass   *string `json:"failure_class" parquet:"failure_class,optional"`
	FailureMessage *string `json:"failure_message" parquet:"failure_message,optional"`
	// TestPassed is true when the test ran at both sides and was compared, false when the
	// measurement ran and failed, null when it never ran (skipped or blocked).
	TestPassed *bool `json:"test_passed" parquet:"test_passed,optional"`

	GenerationConfig *GenerationConfig `json:"generation_config" parquet:"generation_config,optional"`
	Hardware         *Hardware         `json:"hardware" parquet:"hardware,optional"`
	GPUTelemetry     *GPUTelemetry     `json:"gpu_telemetry" parquet:"gpu_telemetry,optional"`
	Environment      *Environment      `json:"environment" parquet:"environment,optional"`
	Provenance       Provenance        `json:"provenance" parquet:"provenance"`
}

// MetricRecord is one metric of a measurement. Values are grouped by run: runs are
// independent processes, values inside one are not.
type MetricRecord struct {
	Name          string      `json:"name" parquet:"name"`
	Unit          *string     `json:"unit" parquet:"unit,optional"`
	Direction     string      `json:"direction" parquet:"direction"`
	Primary       bool        `json:"primary" parquet:"primary"`
	BaseRuns      []RunValues `json:"base_runs" parquet:"base_runs,list"`
	HeadRuns      []RunValues `json:"head_runs" parquet:"head_runs,list"`
	BaseMedian    *float64    `json:"base_median" parquet:"base_median,optional"`
	HeadMedian    *float64    `json:"head_median" parquet:"head_median,optional"`
	Speedup       *float64    `json:"speedup" parquet:"speedup,optional"`
	CILow         *float64    `json:"ci_low" parquet:"ci_low,optional"`
	CIHigh        *float64    `json:"ci_high" parquet:"ci_high,optional"`
	PValue        *float64    `json:"p_value" parquet:"p_value,optional"`
	PTest         *string     `json:"p_test" parquet:"p_test,optional"`
	Verdict       *string     `json:"verdict" parquet:"verdict,optional"`
	VerdictReason *string     `json:"verdict_reason" parquet:"verdict_reason,optional"`
}

// RunValues are the values one run reported for a metric. A struct rather than a list of
// lists, which Parquet readers handle unevenly.
type RunValues struct {
	Values []float64 `json:"values" parquet:"values,list"`
}

// Sampling says how many runs each side took and why sampling stopped.
type Sampling struct {
	Mode     string `json:"mode" parquet:"mode"`
	Min      int64  `json:"min" parquet:"min"`
	Max      int64  `json:"max" parquet:"max"`
	Warmup   int64  `json:"warmup" parquet:"warmup"`
	BaseRuns int64  `json:"base_runs" parquet:"base_runs"`
	HeadRuns int64  `json:"head_runs" parquet:"head_runs"`
	Looks    int64  `json:"looks" parquet:"looks"`
	Stopped  string `json:"stopped" parquet:"stopped"`
}

// Preload is what the benchmark preloaded and what each side's preloading process imported.
type Preload struct {
	Modules       []string      `json:"modules" parquet:"modules,optional,list"` // empty with script_imports
	ScriptImports bool          `json:"script_imports" parquet:"script_imports"`
	Sides         []PreloadSide `json:"sides" parquet:"sides,optional,list"`
}

// PreloadSide is one side's preloading process, as the measurement recorded it.
type PreloadSide struct {
	Side         string   `json:"side" parquet:"side"`
	Imported     []string `json:"imported" parquet:"imported,optional,list"`
	Skipped      []string `json:"skipped" parquet:"skipped,optional,list"`
	Seconds      float64  `json:"seconds" parquet:"seconds"`
	Threads      int64    `json:"threads" parquet:"threads"`
	CUDAAtImport *string  `json:"cuda_at_import" parquet:"cuda_at_import,optional"`
}

// GenerationConfig says how a generated test was obtained. It is null for tests written by
// hand or given as a command.
type GenerationConfig struct {
	Generator    string  `json:"generator" parquet:"generator"` // label
	Endpoint     string  `json:"endpoint" parquet:"endpoint"`
	Model        string  `json:"model" parquet:"model"`                        // the model asked for
	ServedModel  *string `json:"served_model" parquet:"served_model,optional"` // the model that answered last
	Params       []Param `json:"params" parquet:"params,list"`
	Sample       int64   `json:"sample" parquet:"sample"`
	PromptCut    bool    `json:"prompt_cut" parquet:"prompt_cut"`
	Attempts     int64   `json:"attempts" parquet:"attempts"`
	PromptTokens int64   `json:"prompt_tokens" parquet:"prompt_tokens"`
	OutputTokens int64   `json:"output_tokens" parquet:"output_tokens"`
}

// Param is one request parameter. Parameters are a sorted list rather than a map because
// Arrow maps are poorly supported by the Hugging Face datasets library.
type Param struct {
	Name  string `json:"name" parquet:"name"`
	Value string `json:"value" parquet:"value"`
}

// Hardware is where the measurement ran.
type Hardware struct {
	Class      string   `json:"class" parquet:"class"` // digest of the stable fields
	CPUModel   string   `json:"cpu_model" parquet:"cpu_model"`
	CPUCount   int64    `json:"cpu_count" parquet:"cpu_count"`
	GPUCount   int64    `json:"gpu_count" parquet:"gpu_count"`
	GPUName    *string  `json:"gpu_name" parquet:"gpu_name,optional"`
	GPUMemMiB  *int64   `json:"gpu_memory_mib" parquet:"gpu_memory_mib,optional"`
	ComputeCap *string  `json:"compute_capability" parquet:"compute_capability,optional"`
	Driver     *string  `json:"driver" parquet:"driver,optional"`
	CUDA       *string  `json:"cuda" parquet:"cuda,optional"`
	GPUUUIDs   []string `json:"gpu_uuids" parquet:"gpu_uuids,optional,list"`
}

// GPUTelemetry summarises the NVML readings taken before and after every sample. It is null
// when no reading was taken (no GPU).
type GPUTelemetry struct {
	Readings         int64    `json:"readings" parquet:"readings"`
	SMClockMinMHz    int64    `json:"sm_clock_min_mhz" parquet:"sm_clock_min_mhz"`
	SMClockMaxMHz    int64    `json:"sm_clock_max_mhz" parquet:"sm_clock_max_mhz"`
	MemClockMinMHz   int64    `json:"mem_clock_min_mhz" parquet:"mem_clock_min_mhz"`
	MemClockMaxMHz   int64    `json:"mem_clock_max_mhz" parquet:"mem_clock_max_mhz"`
	TemperatureMaxC  int64    `json:"temperature_max_c" parquet:"temperature_max_c"`
	PowerMeanW       *float64 `json:"power_mean_w" parquet:"power_mean_w,optional"`
	PowerMaxW        *float64 `json:"power_max_w" parquet:"power_max_w,optional"`
	PowerLimitW      *float64 `json:"power_limit_w" parquet:"power_limit_w,optional"`
	ThrottledSamples int64    `json:"throttled_samples" parquet:"throttled_samples"`
	ThrottleReasons  []string `json:"throttle_reasons" parquet:"throttle_reasons,list"`
	// LowClockSamples counts the measured samples whose GPU clock stayed far below its
	// maximum for the whole run; SMClockRunMedianMHz is the median over runs of each run's
	// median SM clock, read every ~100 ms while it ran.
	LowClockSamples     int64  `json:"low_clock_samples" parquet:"low_clock_samples"`
	SMClockRunMedianMHz *int64 `json:"sm_clock_run_median_mhz" parquet:"sm_clock_run_median_mhz,optional"`
}

// Environment names the Python environments the two sides ran in by their lock digests
// (SHA-256 of `pip freeze`), so two records that ran in identical environments say so.
type Environment struct {
	BaseLockDigest *string `json:"base_lock_digest" parquet:"base_lock_digest,optional"`
	HeadLockDigest *string `json:"head_lock_digest" parquet:"head_lock_digest,optional"`
	BasePython     *string `json:"base_python" parquet:"base_python,optional"`
	HeadPython     *string `json:"head_python" parquet:"head_python,optional"`
	Installer      *string `json:"installer" parquet:"installer,optional"`
	// BaseVersion and HeadVersion are the versions of the commit's project installed at each
	// side; Torch and CUDA those of PyTorch at head (CUDA from its +cuXYZ build).
	BaseVersion *string `json:"base_version" parquet:"base_version,optional"`
	HeadVersion *string `json:"head_version" parquet:"head_version,optional"`
	Torch       *string `json:"torch" parquet:"torch,optional"`
	CUDA        *string `json:"cuda" parquet:"cuda,optional"`
	// BasePackages and HeadPackages are every installed distribution (pip freeze).
	BasePackages []Package `json:"base_packages" parquet:"base_packages,optional,list"`
	HeadPackages []Package `json:"head_packages" parquet:"head_packages,optional,list"`
	BaseSpec     *EnvSpec  `json:"base_spec" parquet:"base_spec,optional"`
	HeadSpec     *EnvSpec  `json:"head_spec" parquet:"head_spec,optional"`
}

// Package is one installed distribution.
type Package struct {
	Name    string `json:"name" parquet:"name"` // normalized (PEP 503)
	Version string `json:"version" parquet:"version"`
}

// EnvSpec is what an environment was asked for, evaluated for its side, and the files the
// preflight resolved: enough to build the same environment by hand.
type EnvSpec struct {
	IndexURL      *string         `json:"index_url" parquet:"index_url,optional"`
	ExtraIndexURL []string        `json:"extra_index_url" parquet:"extra_index_url,list"`
	WheelURL      []string        `json:"wheel_url" parquet:"wheel_url,list"`
	Packages      []string        `json:"packages" parquet:"packages,list"`
	TorchBackend  *string         `json:"torch_backend" parquet:"torch_backend,optional"`
	ResolveAsOf   *string         `json:"resolve_as_of" parquet:"resolve_as_of,optional"`
	Install       *string         `json:"install" parquet:"install,optional"`
	Resolved      []ResolvedWheel `json:"resolved" parquet:"resolved,list"`
}

// ResolvedWheel is a file the preflight chose.
type ResolvedWheel struct {
	Package string  `json:"package" parquet:"package"`
	Version *string `json:"version" parquet:"version,optional"` // null for a direct URL
	URL     string  `json:"url" parquet:"url"`
	SHA256  *string `json:"sha256" parquet:"sha256,optional"`
}

// Provenance ties a record to the actions it came from.
type Provenance struct {
	IsobenchVersion string `json:"isobench_version" parquet:"isobench_version"`
	// BuildTime is the newest creation time of the cached results the record was assembled
	// from (RFC 3339, UTC), not the wall clock of the dataset build: rebuilding an unchanged
	// dataset gives the same bytes.
	BuildTime *string     `json:"build_time" parquet:"build_time,optional"`
	Actions   []ActionRef `json:"actions" parquet:"actions,list"`
}

// ActionRef is one action a record depends on: the measurement and everything it read.
type ActionRef struct {
	ID     string  `json:"id" parquet:"id"`
	Kind   string  `json:"kind" parquet:"kind"`
	Label  string  `json:"label" parquet:"label"`
	Key    *string `json:"key" parquet:"key,optional"` // null for a blocked action: it never got one
	Status string  `json:"status" parquet:"status"`
	Class  *string `json:"class" parquet:"class,optional"`
	Log    *string `json:"log" parquet:"log,optional"` // CAS digest of the action's log
}
