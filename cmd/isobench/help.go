package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// commandHelp is what `isobench CMD --help` and `isobench help CMD` print beyond the flags.
type commandHelp struct {
	synopsis string // arguments after the command name
	about    string // what it does, in a sentence or two
	example  string
}

// helps holds each command's help, by name.
var helps = map[string]commandHelp{
	"build": {"[PATTERN...]", "Execute what is stale and replay the rest from the cache, then print a table of the benchmarks' results.\n" +
		"A failure a dataset records (a failed, skipped or blocked benchmark) never stops the build; any other stops it\n" +
		"from starting new actions unless --keep-going is given. It exits 1 when an action failed or was blocked.",
		"isobench build //dataset:all --keep-going"},
	"status":      {"[PATTERN...]", "Say per target whether it is cached, stale (and why), failed or skipped, without executing anything.", "isobench status //benchmarks/... --detailed-exitcode"},
	"why":         {"LABEL", "Show the lines of each stale action's key that changed since the last build, old and new.", "isobench why //benchmarks:median"},
	"log":         {"LABEL", "Print the stored logs of a target's actions as the last build left them, replayed results included.", "isobench log //benchmarks:median --side head --run 3\n  isobench log //benchmarks:median --action environment --side base\n  isobench log //benchmarks:kv_cache --server --side head --run 2"},
	"report":      {"PATTERN", "Write a self-contained HTML report of each dataset the pattern names; a serving benchmark's server logs go beside it, in server-logs/, linked from the page.", "isobench report //dataset:all -o report.html"},
	"query":       {"[PATTERN...]", "List the targets a pattern selects, with their kind and where each is declared.", "isobench query //commits:all"},
	"graph":       {"[PATTERN...]", "Print the planned actions and their dependencies as a Graphviz graph.", "isobench graph //dataset:all | dot -Tsvg > graph.svg"},
	"validate":    {"[PATTERN...]", "Load every BUILD.hcl and plan the targets without touching the cache; diagnostics point at file:line:col.", "isobench validate"},
	"clean":       {"", "Remove this workspace's cache entries.", "isobench clean"},
	"cache":       {"stats", "Show what the workspace's cache holds: entries by kind and status, blobs, bytes on disk.", "isobench cache stats"},
	"gc":          {"", "Remove cache entries and environments not used for --older-than, then the least recently used beyond --max-size; never what a workspace's latest build used.", "isobench gc --older-than 168h --dry-run"},
	"doctor":      {"", "Show the hardware (GPUs through NVML, the CPU) and the tools found (git, Pythons, uv, pip).", "isobench doctor"},
	"version":     {"", "Print isobench's version.", "isobench version"},
	"exec-action": {"DIR", "Run one action of a cluster job; the Slurm executor submits it, people do not.", "isobench exec-action /shared/scratch/isobench/JOB"},
}

// workspaceFlagNames are the flags every workspace command takes, listed apart.
var workspaceFlagNames = map[string]bool{"C": true, "cache-dir": true, "var": true, "remote-cache": true, "remote-cache-upload": true}

// printCommandHelp writes a command's synopsis, what it does, its flags written as the README
// writes them (--keep-going, -j N) and an example.
func printCommandHelp(w io.Writer, fs *flag.FlagSet) {
	name := fs.Name()
	h := helps[name]
	fmt.Fprintf(w, "Usage: isobench %s [FLAGS] %s\n\n%s\n", name, h.synopsis, h.about)
	var own, common []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if workspaceFlagNames[f.Name] {
			common = append(common, f)
		} else {
			own = append(own, f)
		}
	})
	printFlags(w, "Flags", own)
	printFlags(w, "Workspace flags", common)
	if h.example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", h.example)
	}
}

func printFlags(w io.Writer, title string, flags []*flag.Flag) {
	if len(flags) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	for _, f := range flags {
		fmt.Fprintf(w, "  %s\n      %s\n", flagSpelling(f), flagUsage(f))
	}
}

// flagSpelling writes a flag as the README does: one dash for one letter, two otherwise, and
// the value's name (`--older-than DURATION`).
func flagSpelling(f *flag.Flag) string {
	dash := "--"
	if len(f.Name) == 1 {
		dash = "-"
	}
	arg, _ := flag.UnquoteUsage(f)
	if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
		arg = ""
	}
	switch arg {
	case "":
		return dash + f.Name
	case "value":
		arg = "VALUE"
	default:
		arg = strings.ToUpper(arg)
	}
	return dash + f.Name + " " + arg
}

func flagUsage(f *flag.Flag) string {
	_, usage := flag.UnquoteUsage(f)
	if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "[]" && !strings.Contains(usage, "default") {
		usage += fmt.Sprintf(" (default %s)", d)
	}
	return usage
}

// wantsHelp reports whether a command's arguments ask for its help (before any "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// parseFlags parses a command's flags. Help asked for (-h, --help) is printed on stdout and
// exits 0; any other mistake is a usage error naming the help, which is not printed then: the
// flag package would print it for every mistake.
func parseFlags(fs *flag.FlagSet, args []string) error {
	help := fs.Usage
	fs.Usage = func() {}
	if wantsHelp(args) {
		help()
		return failure{exitOK}
	}
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		help()
		return failure{exitOK}
	}
	return usageError{fmt.Sprintf("%s\nhint: isobench %s --help lists its flags", err, fs.Name())}
}
