/*
Isobench builds performance-benchmark datasets from Git history the way Bazel builds software.

Usage:

	isobench [-C DIR] COMMAND [FLAGS] [PATTERN...]

Commands:

	build     execute what is stale and write results (-j, --keep-going, --rerun, --retry-failed,
	          --json, --events FILE, --executor, --remote-cache)
	status    per target: cached, stale (with the reason), failed or skipped (--detailed-exitcode)
	why       the key lines of a target's stale actions that changed since the last build
	log       the stored logs of a target's actions (--action, --side, --run), replayed ones too
	query     the targets a pattern selects
	graph     the planned actions as a Graphviz graph
	validate  load and plan every target; diagnostics point at file:line:col
	report    a self-contained HTML page of a dataset
	gc        remove old cache entries and environments
	clean     remove this workspace's cache entries
	cache     cache stats
	doctor    the hardware (NVML) and the tools found
	version   the version

isobench help COMMAND (or COMMAND --help) prints a command's synopsis, flags and an example;
isobench --version the version.

Patterns are labels (//pkg:name, :name in the current package), //pkg:all, //pkg/..., //...,
and -PATTERN to exclude. Exit status: 0 success, 1 an action failed, 2 a usage or
configuration error; status --detailed-exitcode exits 2 when something is stale.

ISOBENCH_HOME moves the per-user cache (Git mirrors, worktrees, environments, workspace
stores); ISOBENCH_CACHE or --cache-dir the workspace's store; ISOBENCH_VAR_name sets a
variable; ISOBENCH_DEBUG=keys prints every action key's description.

This file is the manual in brief; README.md is the reference.
*/
package main
