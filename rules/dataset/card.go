package dataset

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// fieldDocs describes every feature, by dotted path. The card's table is generated from
// Record's fields; a test makes sure none lacks a description here.
var fieldDocs = map[string]string{
	"benchmark":                              "Label of the benchmark target (//pkg:name).",
	"commit":                                 "Label of the commit target.",
	"instance_id":                            "Unique identifier of the record, SWE-bench's owner__name-<7-digit head SHA> (the repository's base name for a local path or bundle); the benchmark's name is appended where one commit has several records.",
	"repo":                                   "owner/name when the repository was declared by a GitHub, GitLab, Bitbucket or Codeberg URL; else the repository as declared (local path or bundle).",
	"repo_url":                               "Repository as declared: URL, local path or bundle.",
	"pr_number":                              "Number of the pull request the head commit's subject ends with, as squash merges write it: \"... (#12345)\"; null when it names none.",
	"pr_url":                                 "URL of that pull request on the forge; null when the repository is not a forge URL or no pull request is named.",
	"base_commit":                            "Full SHA of the base commit (the parent of head unless declared).",
	"head_commit":                            "Full SHA of the head commit, the change being measured.",
	"commit_subject":                         "First line of the head commit's message.",
	"commit_message":                         "Full message of the head commit.",
	"commit_date":                            "Author date of the head commit, RFC 3339.",
	"files_changed":                          "Paths of the files changed between base and head.",
	"affected_apis":                          "Python functions and classes the diff touches, module-qualified (a heuristic on the diff text: def/class scopes around changed lines).",
	"patch":                                  "Unified diff from base to head, without the test files (those are in test_patch).",
	"test_patch":                             "The part of the diff that changes tests: files under a test, tests, testing or e2e directory, named test_*, *_test.* or conftest.py. Empty when the commit changes no test.",
	"benchmark_command":                      "The command line the benchmark ran; null for a Python test script.",
	"benchmark_model":                        "The model the command names with --model; null when it names none.",
	"benchmark_mode":                         "serving, throughput or latency (from the vLLM benchmark script or `vllm bench` subcommand the command runs), script for a Python test, null otherwise.",
	"server_command":                         "The server a serving benchmark started at each run, at the same commit (the client is benchmark_command); null without one.",
	"server_sessions":                        "A serving benchmark's server sessions, one per run (warmups included) in the order they ran; empty without a server.",
	"server_sessions.side":                   "base, head, or in a variant's sessions the variant's name.",
	"server_sessions.run":                    "The side's run, counted from 1 with warmups first (`isobench log LABEL --server --side SIDE --run RUN` prints its log).",
	"server_sessions.warmup":                 "Whether the run was a warmup, left out of the statistics.",
	"server_sessions.port":                   "The loopback port the server was given (ISOBENCH_PORT).",
	"server_sessions.ready_seconds":          "Seconds from the server's start until it was ready; null when it never was.",
	"server_sessions.stop_seconds":           "Seconds from the stop signal until the server's processes were gone.",
	"server_sessions.clients":                "Client invocations that completed in the session.",
	"server_sessions.failure":                "server_exited, server_not_ready, server_died, client_failed or client_timeout; null when every client ran.",
	"server_sessions.log":                    "SHA-256 of the server's output (its first 256 KiB and last 768 KiB) in the cache; the report links it.",
	"test_kind":                              "How the test came to be: generated (by an LLM), script (written by hand) or command.",
	"efficiency_test":                        "The performance test that ran: the Python script, or the command line.",
	"metric":                                 "Name of the measured metric.",
	"unit":                                   "Unit of the metric.",
	"direction":                              "Whether lower or higher values are better.",
	"base_performance":                       "Every measured sample at base, in the order run, warmups excluded; null for a run that produced no value.",
	"head_performance":                       "Every measured sample at head, as base_performance.",
	"base_median":                            "Median of the base samples.",
	"head_median":                            "Median of the head samples.",
	"performance_improvement":                "Change of the median in percent, positive when head is better: (base-head)/base*100 when lower is better, (head-base)/base*100 when higher is better.",
	"speedup":                                "Ratio of medians, above 1 when head is better whatever the direction.",
	"ci_low":                                 "Lower bound of the bootstrap confidence interval of the speedup, at ci_level.",
	"ci_high":                                "Upper bound of the bootstrap confidence interval of the speedup, at ci_level.",
	"p_value":                                "Two-sided p-value of base against head, from the test in p_test.",
	"p_test":                                 "The test of p_value: mann-whitney (exact Mann-Whitney U over the runs' medians) where it can decide with a pair of runs out of order (6 runs a side and more at p < 0.01), welch (Welch's t-test on the logs of the runs' medians) with fewer runs, where the rank test's smallest p-value (0.1 at 3 a side) is too large; records measured before schema 6 are mann-whitney.",
	"ci_level":                               "Confidence level of the interval, such as 0.95.",
	"verdict":                                "improved, regressed, unchanged or noisy; null unless status is ok.",
	"verdict_reason":                         "One sentence saying why the verdict, with its numbers.",
	"status":                                 "ok, failed, skipped (a requirement this hardware does not meet) or blocked (an input failed).",
	"failure_class":                          "Class of the failure, such as no_wheel or base_failed; for a blocked record, the class of the input failure that blocked it.",
	"failure_message":                        "One sentence saying what went wrong.",
	"test_passed":                            "True when the test ran at both sides and was compared, false when the measurement failed, null when it never ran.",
	"generation_config":                      "How the test was generated; null for tests written by hand or given as a command.",
	"generation_config.generator":            "Label of the generator target.",
	"generation_config.endpoint":             "OpenAI-compatible endpoint asked.",
	"generation_config.model":                "Model asked for.",
	"generation_config.served_model":         "Model the endpoint reported answering with.",
	"generation_config.params":               "Every request parameter sent, sorted by name.",
	"generation_config.params.name":          "Parameter name.",
	"generation_config.params.value":         "Parameter value, as text.",
	"generation_config.sample":               "Which sample of the generator this test is.",
	"generation_config.prompt_cut":           "Whether the diff was cut to fit the prompt budget.",
	"generation_config.attempts":             "Requests made, repairs included.",
	"generation_config.prompt_tokens":        "Prompt tokens over all attempts.",
	"generation_config.output_tokens":        "Output tokens over all attempts.",
	"hardware":                               "Where the measurement ran.",
	"hardware.class":                         "Digest of the stable hardware facts; measurements of one class are comparable.",
	"hardware.cpu_model":                     "CPU model.",
	"hardware.cpu_count":                     "Logical CPUs.",
	"hardware.gpu_count":                     "GPUs in the machine.",
	"hardware.gpu_name":                      "GPU model.",
	"hardware.gpu_memory_mib":                "Memory of one GPU in MiB.",
	"hardware.compute_capability":            "CUDA compute capability.",
	"hardware.driver":                        "NVIDIA driver version.",
	"hardware.cuda":                          "CUDA version the driver supports.",
	"hardware.gpu_uuids":                     "UUIDs of the GPUs the measurement held.",
	"gpu_telemetry":                          "Summary of the GPU readings taken before and after every run; null without a GPU.",
	"gpu_telemetry.readings":                 "Number of readings.",
	"gpu_telemetry.sm_clock_min_mhz":         "Lowest SM clock seen.",
	"gpu_telemetry.sm_clock_max_mhz":         "Highest SM clock seen.",
	"gpu_telemetry.mem_clock_min_mhz":        "Lowest memory clock seen.",
	"gpu_telemetry.mem_clock_max_mhz":        "Highest memory clock seen.",
	"gpu_telemetry.temperature_max_c":        "Highest temperature seen, in degrees Celsius.",
	"gpu_telemetry.power_mean_w":             "Mean power draw over the readings, in watts.",
	"gpu_telemetry.power_max_w":              "Highest power draw seen, in watts.",
	"gpu_telemetry.power_limit_w":            "Power limit of the device, in watts.",
	"gpu_telemetry.throttled_samples":        "Measured samples during which the GPU reported a slowdown.",
	"gpu_telemetry.throttle_reasons":         "Every throttle reason reported.",
	"environment":                            "The Python environments of the two sides.",
	"environment.base_lock_digest":           "SHA-256 of the base environment's pip freeze.",
	"environment.head_lock_digest":           "SHA-256 of the head environment's pip freeze.",
	"environment.base_python":                "Python version at base.",
	"environment.head_python":                "Python version at head.",
	"environment.installer":                  "Installer that built the environments (uv or pip, with version).",
	"environment.base_version":               "Version of the commit's project installed at base (the first package the environment names).",
	"environment.head_version":               "Version of the commit's project installed at head.",
	"environment.torch":                      "PyTorch version installed at head.",
	"environment.cuda":                       "CUDA version that PyTorch at head was built for (its +cuXYZ build, else its CUDA runtime wheel); null for a CPU build.",
	"environment.base_packages":              "Every distribution installed at base, from pip freeze, sorted by name.",
	"environment.base_packages.name":         "Distribution name, normalized as PEP 503 does.",
	"environment.base_packages.version":      "Installed version; the URL for a direct reference.",
	"environment.head_packages":              "Every distribution installed at head, as base_packages.",
	"environment.base_spec":                  "What the base environment was asked for, evaluated for that side, and what the preflight resolved.",
	"environment.base_spec.index_url":        "The main package index; null for PyPI.",
	"environment.base_spec.extra_index_url":  "Extra indexes, searched first.",
	"environment.base_spec.wheel_url":        "Direct wheel URLs tried when no index had the project.",
	"environment.base_spec.packages":         "Requirements, overrides for the commit included; the first is the commit's project.",
	"environment.base_spec.torch_backend":    "uv's --torch-backend.",
	"environment.base_spec.resolve_as_of":    "Files uploaded after this time (RFC 3339, UTC) were left out when resolving.",
	"environment.base_spec.install":          "wheel, source or pythonpath: how the commit's project was installed.",
	"environment.base_spec.resolved":         "Files the preflight resolved the packages to.",
	"environment.base_spec.resolved.package": "Distribution name.",
	"environment.base_spec.resolved.version": "Version; null for a wheel found at a direct URL, whose name may not tell it.",
	"environment.base_spec.resolved.url":     "URL of the file.",
	"environment.base_spec.resolved.sha256":  "SHA-256 of the file, when the index gave it.",
	"environment.head_spec":                  "What the head environment was asked for and resolved to, as base_spec.",
	"metrics":                                "Every metric the runs reported, the primary one (metric) first; a record measured before runs could report several has one metric of one value per run.",
	"metrics.name":                           "Metric name.",
	"metrics.unit":                           "Unit of the metric.",
	"metrics.direction":                      "Whether lower or higher values of this metric are better.",
	"metrics.primary":                        "True for the metric that decides the verdict.",
	"metrics.base_runs":                      "Values of every measured base run that counted, one entry per run (process); runs are independent, values inside a run are not.",
	"metrics.base_runs.values":               "The values one run reported, in the order printed.",
	"metrics.head_runs":                      "Values of every measured head run, as base_runs.",
	"metrics.head_runs.values":               "The values one run reported, in the order printed.",
	"metrics.base_median":                    "Median over base runs of each run's median.",
	"metrics.head_median":                    "Median over head runs of each run's median.",
	"metrics.speedup":                        "Ratio of the medians, above 1 when head is better in this metric's direction.",
	"metrics.ci_low":                         "Lower bound of the two-stage bootstrap interval (runs, then values within runs) of the speedup.",
	"metrics.ci_high":                        "Upper bound of that interval.",
	"metrics.p_value":                        "Two-sided p-value of the runs' medians, from the test in metrics.p_test.",
	"metrics.p_test":                         "The test of metrics.p_value, as p_test.",
	"metrics.verdict":                        "improved, regressed, unchanged or noisy, for this metric.",
	"metrics.verdict_reason":                 "One sentence on why, with the numbers.",
	"sampling":                               "How the measured runs were taken; null in records made before adaptive sampling.",
	"variants":                               "Candidate patches to the base commit (one per agent), each measured beside base and head in one balanced order; empty when the benchmark has none.",
	"variants.name":                          "The variant's name in the benchmark's variants map, such as the agent's.",
	"variants.patch_sha256":                  "SHA-256 of the patch text.",
	"variants.files":                         "Paths the patch touches.",
	"variants.method":                        "How the patched code reached the test: tree (a command in the patched tree), pythonpath (the patched tree on PYTHONPATH), overlay (the patch's Python files laid over a copy of the installed packages), none.",
	"variants.not_installed":                 "Patched files that no installed package holds (tests, documentation), which an overlay's test cannot see.",
	"variants.status":                        "ok, or failed when the variant could not be measured.",
	"variants.failure_class":                 "patch_failed (git apply refused it), patch_needs_build (compiled code under a wheel environment), variant_failed (its test exited non-zero), or the measurement's own class.",
	"variants.failure_message":               "Why it failed, quoting git for patch_failed.",
	"variants.performance":                   "The variant's measured samples of the primary metric, in run order.",
	"variants.samples":                       "Number of measured variant runs.",
	"variants.median":                        "Median of the variant's runs.",
	"variants.speedup_over_base":             "Speedup of the variant over base (> 1: the variant is better), from runs of one balanced order.",
	"variants.ci_low_over_base":              "Lower bound of the interval of speedup_over_base.",
	"variants.ci_high_over_base":             "Upper bound of the interval of speedup_over_base.",
	"variants.p_value_over_base":             "p-value of variant against base, from the test in p_test_over_base.",
	"variants.p_test_over_base":              "The test of p_value_over_base, as p_test.",
	"variants.verdict":                       "The variant's verdict over base: improved, regressed, unchanged or noisy.",
	"variants.speedup_over_head":             "Speedup of the variant over head, the human's commit (> 1: the variant is better).",
	"variants.ci_low_over_head":              "Lower bound of the interval of speedup_over_head.",
	"variants.ci_high_over_head":             "Upper bound of the interval of speedup_over_head.",
	"variants.p_value_over_head":             "p-value of variant against head, from the test in p_test_over_head.",
	"variants.p_test_over_head":              "The test of p_value_over_head, as p_test.",
	"variants.against_human":                 "better_than_human, matches_human, worse_than_human or noisy: the variant against the human's commit.",
	"variants.verdict_reason":                "One sentence on the comparison with head, with its numbers.",
	"variants.server_sessions":               "A serving benchmark's server sessions of the variant's measurement, one per run in the order they ran: the variant's own runs and the base and head runs taken beside it; each as in server_sessions. Empty without a server.",
	"preload":                                "What the benchmark preloaded: every run, warmups included, was forked from a process per side that had imported those modules once; null when every run was a fresh process.",
	"preload.modules":                        "Modules the benchmark named, in order; empty when it preloaded the test script's own top-level imports.",
	"preload.script_imports":                 "True when the benchmark preloaded the test script's own top-level imports (preload = \"imports\").",
	"preload.sides":                          "Each side's preloading process, by side name.",
	"preload.sides.side":                     "base, head or the name of a variant (the measurement of one variant).",
	"preload.sides.imported":                 "Modules the process imported before the first fork.",
	"preload.sides.skipped":                  "The script's imports, guarded by a try at its top level, that failed: the runs import them (or not) themselves.",
	"preload.sides.seconds":                  "Seconds the imports took, paid once instead of once a run.",
	"preload.sides.threads":                  "Threads the process ran after its imports (a forked run keeps only one).",
	"preload.sides.cuda_at_import":           "The script's import that initialised CUDA, which a fork cannot inherit: it and the imports after it were left to the runs; null when none did.",
	"sampling.mode":                          "fixed (samples = N) or adaptive (samples = \"auto\" or { min, max }).",
	"sampling.min":                           "Runs a side before the first look (equal to max when fixed).",
	"sampling.max":                           "Most runs a side.",
	"sampling.warmup":                        "Discarded runs a side before the measured ones.",
	"sampling.base_runs":                     "Measured base runs taken, warmups excluded.",
	"sampling.head_runs":                     "Measured head runs taken, warmups excluded.",
	"sampling.looks":                         "Times adaptive sampling judged the runs before it stopped (1 for fixed sampling).",
	"sampling.stopped":                       "Why sampling stopped: fixed, settled (the verdict was decided before max) or max_runs.",
	"flagged_runs":                           "Measured runs flagged low_clock, hw_slowdown or cpu_loaded; null in older records.",
	"loaded_runs":                            "Measured runs during which more tasks were runnable than CPUs, or the hypervisor stole over 10% of the CPU time.",
	"flagged_policy":                         "keep or exclude: whether the verdict counted the flagged runs.",
	"gpu_telemetry.low_clock_samples":        "Measured samples whose SM clock stayed below half the GPU's maximum in every reading of the run.",
	"gpu_telemetry.sm_clock_run_median_mhz":  "Median over runs of each run's median SM clock, read every ~100 ms while it ran; null in older records.",
	"provenance":                             "Where the record came from.",
	"provenance.isobench_version":            "Version of isobench that assembled the record.",
	"provenance.build_time":                  "Newest creation time of the cached results the record was assembled from (not the time the dataset was written, so an unchanged dataset is byte-identical).",
	"provenance.actions":                     "Every action the record depends on: the measurement and its inputs.",
	"provenance.actions.id":                  "Action ID.",
	"provenance.actions.kind":                "Action kind: commit, generate, environment, measure, ...",
	"provenance.actions.label":               "Target the action was planned for.",
	"provenance.actions.key":                 "Action key in isobench's cache; null for a blocked action.",
	"provenance.actions.status":              "How the action ended.",
	"provenance.actions.class":               "Failure class of the action.",
	"provenance.actions.log":                 "Digest of the action's log in isobench's cache.",
}

// Columns of one shape share their fields' descriptions: a variant's server sessions are the
// benchmark's, head's packages and spec are base's.
var sameFields = []struct{ from, to string }{
	{"server_sessions.", "variants.server_sessions."},
	{"environment.base_packages.", "environment.head_packages."},
	{"environment.base_spec.", "environment.head_spec."},
}

func init() {
	for path, doc := range fieldDocs {
		for _, s := range sameFields {
			if field, ok := strings.CutPrefix(path, s.from); ok {
				fieldDocs[s.to+field] = doc
			}
		}
	}
}

// feature is one column of the card: its path, Hugging Face type and nested features.
type feature struct {
	path     string
	name     string
	kind     string // "dtype", "sequence", "struct" or "list" (of structs)
	dtype    string // for dtype and sequence
	children []feature
}

// features lists the columns of a struct type by reflection over its json tags.
func features(t reflect.Type, prefix string) []feature {
	var out []feature
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		ff := feature{path: path, name: name}
		switch {
		case ft.Kind() == reflect.Struct:
			ff.kind, ff.children = "struct", features(ft, path)
		case ft.Kind() == reflect.Slice:
			elem := ft.Elem()
			for elem.Kind() == reflect.Pointer {
				elem = elem.Elem()
			}
			if elem.Kind() == reflect.Struct {
				ff.kind, ff.children = "list", features(elem, path)
			} else {
				ff.kind, ff.dtype = "sequence", dtypeOf(elem)
			}
		default:
			ff.kind, ff.dtype = "dtype", dtypeOf(ft)
		}
		out = append(out, ff)
	}
	return out
}

func dtypeOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Float64:
		return "float64"
	case reflect.Int64, reflect.Int:
		return "int64"
	case reflect.Bool:
		return "bool"
	}
	panic("dataset: no Hugging Face dtype for " + t.String())
}

// writeYAML writes features in the dataset_info.features form the datasets library reads.
func writeYAML(b *strings.Builder, fs []feature, indent string) {
	for _, f := range fs {
		fmt.Fprintf(b, "%s- name: %s\n", indent, f.name)
		switch f.kind {
		case "dtype":
			fmt.Fprintf(b, "%s  dtype: %s\n", indent, f.dtype)
		case "sequence":
			fmt.Fprintf(b, "%s  sequence: %s\n", indent, f.dtype)
		default:
			fmt.Fprintf(b, "%s  %s:\n", indent, f.kind)
			writeYAML(b, f.children, indent+"  ")
		}
	}
}

func typeName(f feature) string {
	switch f.kind {
	case "dtype":
		return f.dtype
	case "sequence":
		return "list of " + f.dtype
	case "list":
		return "list of struct"
	}
	return "struct"
}

func writeTable(b *strings.Builder, fs []feature) {
	for _, f := range fs {
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", f.path, typeName(f), fieldDocs[f.path])
		writeTable(b, f.children)
	}
}

// yamlString quotes a user's text for YAML: a JSON string is a valid YAML double-quoted
// scalar.
func yamlString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// buildCard writes README.md: the YAML header the Hugging Face Hub and datasets library
// read (configs naming the data files, features, split size), then a description for people.
func (c *Config) buildCard(records []Record) []byte {
	var b strings.Builder
	b.WriteString("---\n")
	if c.PrettyName != "" {
		fmt.Fprintf(&b, "pretty_name: %s\n", yamlString(c.PrettyName))
	}
	if c.License != "" {
		fmt.Fprintf(&b, "license: %s\n", yamlString(c.License))
	}
	if len(c.TaskCategories) > 0 {
		b.WriteString("task_categories:\n")
		for _, tc := range c.TaskCategories {
			fmt.Fprintf(&b, "- %s\n", yamlString(tc))
		}
	}
	b.WriteString("tags:\n- isobench\n- performance\n- benchmark\n")
	ext := "parquet"
	if !c.writes(OutputParquet) {
		ext = "jsonl"
	}
	// The files keep their names whatever the split is called: data_files maps the split to
	// them, which is all the datasets library reads.
	fmt.Fprintf(&b, "configs:\n- config_name: %s\n  data_files:\n  - split: %s\n    path: data/train-*.%s\n", c.ConfigName, c.Split, ext)
	b.WriteString("dataset_info:\n  features:\n")
	fs := features(reflect.TypeOf(Record{}), "")
	writeYAML(&b, fs, "  ")
	fmt.Fprintf(&b, "  config_name: %s\n  splits:\n  - name: %s\n    num_examples: %d\n", c.ConfigName, c.Split, len(records))
	b.WriteString("---\n\n")

	title := c.Label.Name
	if c.PrettyName != "" {
		title = c.PrettyName
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	if c.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(c.Description))
	}
	fmt.Fprintf(&b, "Built by isobench %s from the target `%s`: %d records, one per benchmark of %s. Record schema version %d.\n\n",
		Version(), c.Label, len(records), "`"+strings.Join(c.Benchmarks, "`, `")+"`", SchemaVersion)
	b.WriteString("## Outcomes\n\n| outcome | records |\n|---|---|\n")
	for _, o := range outcomes(records) {
		fmt.Fprintf(&b, "| %s | %d |\n", o.name, o.count)
	}
	b.WriteString("\n## Files\n\n| path | content |\n|---|---|\n")
	if c.writes(OutputParquet) {
		fmt.Fprintf(&b, "| `%s` | the records as Parquet |\n", filePaths[OutputParquet])
	}
	if c.writes(OutputJSONL) {
		fmt.Fprintf(&b, "| `%s` | the records as JSON Lines (strict JSON: a missing value is null, never NaN) |\n", filePaths[OutputJSONL])
	}
	fmt.Fprintf(&b, "| `%s` | every action key the dataset was built from |\n\n", filePaths[OutputManifest])
	fmt.Fprintf(&b, "```python\nfrom datasets import load_dataset\n\n# from this directory\nds = load_dataset(\"%s\", data_files={\"%s\": \"data/train-*.%s\"}, split=\"%s\")\n```\n\n", extBuilder(ext), c.Split, ext, c.Split)
	b.WriteString("## Features\n\n| feature | type | description |\n|---|---|---|\n")
	writeTable(&b, fs)
	return []byte(b.String())
}

// extBuilder names the datasets library's builder for a data file extension.
func extBuilder(ext string) string {
	if ext == "jsonl" {
		return "json"
	}
	return ext
}

// outcome is one line of a summary: a verdict, a status, or "failed: class".
type outcome struct {
	name  string
	count int
}

// outcomes counts records by verdict (ok records), by class (failed and blocked ones) and
// skipped, in a fixed order so the card is deterministic.
func outcomes(records []Record) []outcome {
	counts := map[string]int{}
	for i := range records {
		counts[OutcomeOf(&records[i])]++
	}
	var out []outcome
	for _, v := range []string{"improved", "regressed", "unchanged", "noisy"} {
		out = append(out, outcome{v, counts[v]})
		delete(counts, v)
	}
	rest := make([]string, 0, len(counts))
	for k := range counts {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, outcome{k, counts[k]})
	}
	return out
}

// OutcomeOf names a record's outcome in one word or two: its verdict when it was compared,
// "skipped", or "failed: class" / "blocked: class".
func OutcomeOf(r *Record) string {
	switch {
	case r.Status == "ok" && r.Verdict != nil:
		return *r.Verdict
	case r.Status == "ok":
		return "ok"
	case r.Status == "skipped":
		return "skipped"
	case r.FailureClass != nil:
		return r.Status + ": " + *r.FailureClass
	}
	return r.Status
}
