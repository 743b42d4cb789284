package artifact

// MeasurementOutput is the output name of a measure action (JSON Measurement).
const MeasurementOutput = "measurement"

// Measurement is the result of running a benchmark's test at base and head. The measure action
// stores it as its output when the comparison completed (status ok), and as its Meta when it
// failed, so a dataset can describe failures too. Pointer fields are null when unknown: the
// dataset writes strict JSON, never NaN.
type Measurement struct {
	Benchmark string `json:"benchmark"` // label
	Commit    string `json:"commit"`    // label of the commit target
	BaseSHA   string `json:"base_sha"`
	HeadSHA   string `json:"head_sha"`
	// Test is what ran: "generated", "script" or "command"; Script the Python source (empty for
	// commands), Command the command line.
	Test    string `json:"test"`
	Script  string `json:"script,omitempty"`
	Command string `json:"command,omitempty"`
	// Server is the server each run started for the command to measure (nil without one):
	// the same for both sides by construction.
	Server     *ServerSpec `json:"server,omitempty"`
	Metric     string      `json:"metric"`
	Unit       string      `json:"unit"`
	Direction  string      `json:"direction"` // "lower" or "higher" is better
	BaseValues []float64   `json:"base_values"`
	HeadValues []float64   `json:"head_values"`
	Samples    []Sample    `json:"samples"` // every run in the order it ran, warmups included
	Stats      Stats       `json:"stats"`
	Hardware   Hardware    `json:"hardware"`
	// Environments are the lock digests of the base and head environments.
	BaseLock string `json:"base_lock,omitempty"`
	HeadLock string `json:"head_lock,omitempty"`
	// FailureClass and OutputTail are set when a run failed (base_failed, no_metric, ...).
	FailureClass string `json:"failure_class,omitempty"`
	OutputTail   string `json:"output_tail,omitempty"`
	// Isolation is how the runs were isolated: "namespaces" (a sandbox of their own) or
	// "process-group" (where the kernel refused namespaces). AllowNetwork is set when the
	// benchmark let them reach the machine's network. Absent in older records.
	Isolation    string `json:"isolation,omitempty"`
	AllowNetwork bool   `json:"allow_network,omitempty"`
	// ThrottledSamples counts the measured samples (warmups aside) taken while a GPU held by
	// the run reported a hardware slowdown (Sample.Throttled).
	ThrottledSamples int `json:"throttled_samples"`

	// Metrics holds every metric the runs reported, the primary one first, each with its own
	// direction and comparison; Stats is the primary's. Absent in records made before runs
	// could report several metrics: Metric, BaseValues and HeadValues are then the only one.
	Metrics []MetricResult `json:"metrics,omitempty"`
	// Sampling says how many runs each side took and why sampling stopped (absent in older
	// records, which always took the fixed number).
	Sampling *Sampling `json:"sampling,omitempty"`
	// FlaggedSamples counts the measured samples with a flag (Sample.Flags); FlaggedPolicy
	// says whether the verdict kept them ("keep") or left them out ("exclude").
	FlaggedSamples int    `json:"flagged_samples,omitempty"`
	FlaggedPolicy  string `json:"flagged_policy,omitempty"`
	// LoadedSamples counts the measured samples that ran while the CPU was oversubscribed or
	// its time was stolen by the hypervisor (flag "cpu_loaded").
	LoadedSamples int `json:"loaded_samples,omitempty"`

	// Variants are the benchmark's candidate patches, each measured beside base and head
	// (variant.go); a variant that failed is listed with its class. Variant is set instead in
	// the measurement of one variant.
	Variants []Variant `json:"variants,omitempty"`
	Variant  *Variant  `json:"variant,omitempty"`

	// Preload is set when every run, warmups included, was forked from a process per side
	// that had imported modules first (the benchmark's preload) instead of starting afresh.
	Preload *Preload `json:"preload,omitempty"`
}

// Preload is how a measurement's runs were started: each forked from a process per side that
// had imported Modules, or the test script's own top-level imports, once.
type Preload struct {
	Modules       []string `json:"modules,omitempty"` // as the benchmark names them
	ScriptImports bool     `json:"script_imports,omitempty"`
	// Sides says what each side's process imported before the first fork.
	Sides map[Side]PreloadedSide `json:"sides,omitempty"`
}

// PreloadedSide is one side's preloading process.
type PreloadedSide struct {
	Imported []string `json:"imported"`
	// Skipped are the script's imports guarded by a try at its top level that failed: the
	// runs import them (or not) themselves.
	Skipped []string `json:"skipped,omitempty"`
	Seconds float64  `json:"seconds"`           // the imports, paid once instead of once a run
	Threads int      `json:"threads,omitempty"` // after the imports; a fork keeps only one
	// CUDAAtImport is the script's import that initialised CUDA (preload = "imports"): it and
	// the imports after it were left to the runs, since a fork cannot inherit a CUDA context.
	CUDAAtImport string `json:"cuda_at_import,omitempty"`
}

// MetricResult is one metric of a measurement: its values grouped by run, and its comparison.
type MetricResult struct {
	Name      string `json:"name"`
	Unit      string `json:"unit"`
	Direction string `json:"direction"` // "lower" or "higher" is better
	Primary   bool   `json:"primary"`   // the metric that decides the benchmark's verdict
	// BaseRuns and HeadRuns are the values of every measured run that counted, one list per
	// run, in run order. Runs are independent; values inside one run are not.
	BaseRuns [][]float64 `json:"base_runs"`
	HeadRuns [][]float64 `json:"head_runs"`
	Stats    Stats       `json:"stats"`
}

// Sampling is how the measured runs were taken.
type Sampling struct {
	Mode     string `json:"mode"` // "fixed" or "adaptive"
	Min      int    `json:"min"`  // runs a side before the first look (= Max when fixed)
	Max      int    `json:"max"`
	Warmup   int    `json:"warmup"` // discarded runs a side, not counted in the runs below
	BaseRuns int    `json:"base_runs"`
	HeadRuns int    `json:"head_runs"`
	Looks    int    `json:"looks"`   // times the runs were judged before stopping
	Stopped  string `json:"stopped"` // "fixed", "settled" (decided early) or "max_runs"
}

// Sample flags: why a run's value may not be the code's own speed.
const (
	FlagHWSlowdown = "hw_slowdown" // a GPU held reported a hardware slowdown (thermal, power brake)
	FlagLowClock   = "low_clock"   // the GPU's SM clock stayed far below its maximum the whole run
	FlagCPULoaded  = "cpu_loaded"  // more tasks were runnable than CPUs, or steal time was high
)

// GPURun summarises the readings of one GPU taken every ~100 ms while a run executed (and at
// its start and end). Nothing is ever set on the device: the clocks are watched, not locked.
type GPURun struct {
	UUID            string   `json:"uuid"`
	Readings        int      `json:"readings"`
	SMClockMinMHz   int      `json:"sm_clock_min_mhz"`
	SMClockMedMHz   int      `json:"sm_clock_median_mhz"`
	SMClockMaxMHz   int      `json:"sm_clock_max_mhz"`
	DeviceMaxSMMHz  int      `json:"device_max_sm_clock_mhz,omitempty"` // the GPU's maximum SM clock
	PowerMedianW    float64  `json:"power_median_w"`
	PowerMaxW       float64  `json:"power_max_w"`
	TemperatureMaxC int      `json:"temperature_max_c"`
	ThrottleReasons []string `json:"throttle_reasons,omitempty"` // every reason seen during the run
}

// CPULoad is what competed with a run for the CPU, from /proc.
type CPULoad struct {
	// ProcsRunningMedian is the median of the kernel's count of runnable tasks over the run's
	// readings (the run itself and isobench's reader included).
	ProcsRunningMedian float64 `json:"procs_running_median"`
	CPUs               int     `json:"cpus"`          // CPUs this process may use
	Load1              float64 `json:"load1"`         // 1-minute load average at the start
	StealPercent       float64 `json:"steal_percent"` // CPU time the hypervisor took, during the run
}

// Sample is one run of the test in a fresh process.
type Sample struct {
	Side     Side      `json:"side"`
	Index    int       `json:"index"`
	Warmup   bool      `json:"warmup"`
	Value    *float64  `json:"value"`
	Seconds  float64   `json:"seconds"` // wall time of the process
	ExitCode int       `json:"exit_code"`
	Before   *GPUState `json:"gpu_before,omitempty"`
	After    *GPUState `json:"gpu_after,omitempty"`
	// OthersBefore and OthersAfter are the readings of the second and further GPUs of a run
	// that held several (Before and After are the first's).
	OthersBefore []GPUState `json:"other_gpus_before,omitempty"`
	OthersAfter  []GPUState `json:"other_gpus_after,omitempty"`
	Throttled    bool       `json:"throttled"` // hardware slowdown seen during the run, on any GPU held

	// Values are every value the run reported, by metric (Value is the primary metric's
	// median). Absent in records made before runs could report several.
	Values map[string][]float64 `json:"values,omitempty"`
	// GPUs summarise the readings taken while the run executed, one per GPU held.
	GPUs []GPURun `json:"gpus,omitempty"`
	CPU  *CPULoad `json:"cpu_load,omitempty"`
	// Flags say why the value may not be the code's own speed (FlagLowClock, ...);
	// Excluded is true when the verdict left the sample out for them.
	Flags    []string `json:"flags,omitempty"`
	Excluded bool     `json:"excluded,omitempty"`

	// Server is the run's server session, for a benchmark with a server.
	Server *ServerRun `json:"server,omitempty"`
}

// ServerSpec is how a serving benchmark starts its server and reads its client's results.
type ServerSpec struct {
	Command      string            `json:"command"`
	Ready        string            `json:"ready,omitempty"`     // the HTTP path polled until it answers 200
	ReadyLog     string            `json:"ready_log,omitempty"` // or the regex its output matches when ready
	ReadyTimeout float64           `json:"ready_timeout_seconds"`
	ClientRuns   int               `json:"client_runs"` // client invocations per server session: a run's values
	ResultFile   string            `json:"result_file,omitempty"`
	MetricKeys   map[string]string `json:"metric_keys,omitempty"`     // record name -> key in the result file
	MetricRegex  map[string]string `json:"metric_patterns,omitempty"` // record name -> regex over the client's stdout
}

// ServerRun is one server session: how long the server took to answer, how it ended, and
// its log (its output, bounded) in the CAS.
type ServerRun struct {
	Port         int     `json:"port"`
	ReadySeconds float64 `json:"ready_seconds"` // from its start until it answered
	StopSeconds  float64 `json:"stop_seconds"`  // from the stop signal until it exited
	Clients      int     `json:"clients"`       // client invocations that completed
	Log          string  `json:"log,omitempty"` // digest of the server's log (an output of the action)
	Failure      string  `json:"failure,omitempty"`
}

// Stats compares the two sides.
type Stats struct {
	BaseMedian *float64 `json:"base_median"`
	HeadMedian *float64 `json:"head_median"`
	BaseMAD    *float64 `json:"base_mad"` // median absolute deviation
	HeadMAD    *float64 `json:"head_mad"`
	// Speedup is >1 when head is better, whatever the direction: base/head for lower-is-better
	// metrics, head/base for higher-is-better ones.
	Speedup *float64 `json:"speedup"`
	CILow   *float64 `json:"ci_low"` // bootstrap interval of the speedup at Confidence (95% by default)
	CIHigh  *float64 `json:"ci_high"`
	PValue  *float64 `json:"p_value"` // two-sided, of Test
	// Test is the test PValue comes from: "mann-whitney" (over the runs' medians) or "welch"
	// (Welch's t on their logs), chosen by the runs a side and the p threshold
	// (stats.TestFor). Empty in records made before Welch's test was added, whose p-values are
	// all Mann-Whitney.
	Test    string   `json:"test,omitempty"`
	U       *float64 `json:"u"`       // the Mann-Whitney U statistic of the base sample
	Verdict string   `json:"verdict"` // improved, regressed, unchanged, noisy
	Reason  string   `json:"reason"`  // one sentence saying why, with the numbers
	// The thresholds the verdict was decided with (the benchmark's `verdict` block).
	Confidence float64 `json:"confidence"`
	MaxPValue  float64 `json:"max_p_value"`
	MinEffect  float64 `json:"min_effect"`
}

// Hardware describes where a measurement ran.
type Hardware struct {
	Class      string `json:"class"` // digest of the stable fields: enters measurement keys
	CPUModel   string `json:"cpu_model"`
	CPUCount   int    `json:"cpu_count"`
	GPUCount   int    `json:"gpu_count"`
	GPUName    string `json:"gpu_name,omitempty"`
	GPUMemMiB  int    `json:"gpu_memory_mib,omitempty"`
	ComputeCap string `json:"compute_capability,omitempty"`
	Driver     string `json:"driver,omitempty"`
	CUDA       string `json:"cuda,omitempty"`
	// GPUUUIDs are the devices this measurement held.
	GPUUUIDs []string `json:"gpu_uuids,omitempty"`
}

// GPUState is one NVML reading of a device.
type GPUState struct {
	UUID            string   `json:"uuid"`
	SMClockMHz      int      `json:"sm_clock_mhz"`
	MemClockMHz     int      `json:"mem_clock_mhz"`
	TemperatureC    int      `json:"temperature_c"`
	PowerW          float64  `json:"power_w"`
	PowerLimitW     float64  `json:"power_limit_w"`
	ThrottleReasons []string `json:"throttle_reasons,omitempty"`
}
