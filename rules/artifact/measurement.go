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
	Test       string    `json:"test"`
	Script     string    `json:"script,omitempty"`
	Command    string    `json:"command,omitempty"`
	Metric     string    `json:"metric"`
	Unit       string    `json:"unit"`
	Direction  string    `json:"direction"` // "lower" or "higher" is better
	BaseValues []float64 `json:"base_values"`
	HeadValues []float64 `json:"head_values"`
	Samples    []Sample  `json:"samples"` // every run in the order it ran, warmups included
	Stats      Stats     `json:"stats"`
	Hardware   Hardware  `json:"hardware"`
	// Environments are the lock digests of the base and head environments.
	BaseLock string `json:"base_lock,omitempty"`
	HeadLock string `json:"head_lock,omitempty"`
	// FailureClass and OutputTail are set when a run failed (base_failed, no_metric, ...).
	FailureClass string `json:"failure_class,omitempty"`
	OutputTail   string `json:"output_tail,omitempty"`
	// ThrottledSamples counts the measured samples (warmups aside) taken while a GPU held by
	// the run reported a hardware slowdown (Sample.Throttled).
	ThrottledSamples int `json:"throttled_samples"`
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
	Throttled    bool       `json:"throttled"` // hardware slowdown seen before or after, on any GPU held
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
	PValue  *float64 `json:"p_value"` // two-sided Mann-Whitney U
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
