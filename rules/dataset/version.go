package dataset

import "runtime/debug"

// ModulePath is isobench's module, looked for in the build information.
const ModulePath = "github.com/isobench/isobench"

// version, when set by the command (`-ldflags -X`), overrides the build information.
var version string

// SetVersion sets the isobench version written into datasets. The command calls it when it
// knows better than the build information (a release build stamped with -ldflags).
func SetVersion(v string) { version = v }

// Version is the isobench version written into every record's provenance and into dataset
// keys, so a new isobench rebuilds datasets and no file claims the wrong producer. It is the
// module version from the build information: a tag for `go install ...@v1.2.3`, "(devel)"
// for a build from a checkout.
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if info.Main.Path == ModulePath && info.Main.Version != "" {
		return info.Main.Version
	}
	for _, d := range info.Deps {
		if d.Path == ModulePath {
			return d.Version
		}
	}
	return "(devel)"
}

// SchemaVersion numbers the record's columns. It changes whenever a column is added, removed
// or changes meaning, enters every dataset key (so datasets are rewritten in the new shape),
// and the card states it, so a reader can tell which columns to expect.
//
//	1  one value per run, one metric
//	2  metrics (values grouped by run, several metrics), sampling, flagged_runs, loaded_runs,
//	   flagged_policy, gpu_telemetry.low_clock_samples and sm_clock_run_median_mhz
//	3  variants (candidate patches measured beside base and head)
//	4  server_command (serving benchmarks: a server per run)
//	5  server_sessions (each run's server: start time, how it ended, its log's digest)
//	6  p_test, metrics.p_test, variants.p_test_over_base and p_test_over_head: p-values come
//	   from Welch's t-test on log run medians where the rank test cannot decide (few runs)
//	7  preload (the modules each side's process imported before forking the runs)
//	8  variants.server_sessions (the server sessions of each variant's measurement)
const SchemaVersion = 8
