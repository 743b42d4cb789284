package main

import (
	"fmt"
	"io"
)

// command is one subcommand: a short function over the shared app.
type command struct {
	name  string
	usage string
	run   func(a *app, args []string) error
}

func commands() []command {
	return []command{
		{"build", "build [PATTERN...]      execute what is stale and write results", cmdBuild},
		{"status", "status [PATTERN...]     say what is cached, stale (and why), failed or skipped", cmdStatus},
		{"why", "why LABEL               say which inputs of a target changed since the last build", cmdWhy},
		{"log", "log LABEL               print the stored logs of a target's actions (--action, --side, --run)", cmdLog},
		{"report", "report PATTERN          write a self-contained HTML report of datasets", cmdReport},
		{"query", "query [PATTERN...]      list the targets a pattern selects, with kind and location", cmdQuery},
		{"graph", "graph [PATTERN...]      print the planned actions as a Graphviz graph", cmdGraph},
		{"validate", "validate                load every BUILD.hcl and report problems", cmdValidate},
		{"clean", "clean                   remove this workspace's cache entries", cmdClean},
		{"cache", "cache stats             show what the cache holds", cmdCache},
		{"gc", "gc                      remove old cache entries and environments (--older-than, --max-size, --dry-run)", cmdGC},
		{"doctor", "doctor                  show the hardware (GPUs via NVML) and the tools found", cmdDoctor},
		{"version", "version                 print the version", cmdVersion},
		{"exec-action", "exec-action DIR         run one action of a cluster job (used by the Slurm executor)", cmdExecAction},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	// -C DIR may also come before the command, as with git and make.
	if len(args) >= 3 && args[0] == "-C" {
		args = append(append([]string{args[2]}, "-C", args[1]), args[3:]...)
	}
	switch {
	case len(args) >= 1 && (args[0] == "--version" || args[0] == "-version"):
		args = []string{"version"}
	case len(args) >= 2 && args[0] == "help":
		args = []string{args[1], "--help"} // isobench help build
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return a.report(c.run(a, args[1:]))
		}
	}
	fmt.Fprintf(stderr, "isobench: error: unknown command %q\nhint: isobench help lists the commands\n", args[0])
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "isobench builds performance-benchmark datasets from Git history.")
	fmt.Fprintln(w, "\nUsage: isobench COMMAND [FLAGS] [ARGS]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s\n", c.usage)
	}
	fmt.Fprintln(w, "\nisobench help COMMAND (or isobench COMMAND --help) shows a command's flags and an example.")
}
