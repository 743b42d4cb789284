package hardware

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Report is what `isobench doctor` prints: the hardware and the tools isobench would use.
// It encodes as JSON for `doctor --json`.
type Report struct {
	Hardware Info   `json:"hardware"`
	Class    string `json:"hardware_class"`
	Tools    []Tool `json:"tools"`
}

// Tool is one program looked for on PATH.
type Tool struct {
	Name    string `json:"name"`              // "git", "python3.11", "uv", "pip"
	Path    string `json:"path,omitempty"`    // resolved path, "" when not found
	Version string `json:"version,omitempty"` // e.g. "2.43.0"
	Problem string `json:"problem,omitempty"` // why it is unusable or missing
}

// toolTimeout bounds each version query; a wedged interpreter must not hang doctor. pip
// imports much of itself to print its version, which takes seconds on a busy small machine.
const toolTimeout = 30 * time.Second

// pythonMinors are the interpreters looked for by name, beside python3 and python: the ones
// an environment's `python = "3.x"` could ask for.
var pythonMinors = []string{"3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"}

var versionRE = regexp.MustCompile(`\d+\.\d+(\.\d+)?([a-z]+\d+)?`)

// Doctor probes the hardware and looks for git, the Python interpreters, uv and pip. It runs
// the version queries concurrently and never fails: what is missing is reported as missing.
func Doctor(ctx context.Context) *Report {
	info := Probe().Info()
	r := &Report{Hardware: info, Class: info.Class()}

	type query struct {
		name     string
		path     string
		args     []string
		optional bool // listed only when it works
	}
	var queries []query
	add := func(name, program string, args ...string) {
		path, err := exec.LookPath(program)
		if err != nil {
			queries = append(queries, query{name: name})
			return
		}
		queries = append(queries, query{name: name, path: path, args: args})
	}
	addOptional := func(name string) {
		if path, err := exec.LookPath(name); err == nil {
			queries = append(queries, query{name: name, path: path, args: []string{"--version"}, optional: true})
		}
	}
	add("git", "git", "--version")
	// Interpreters found under several names (python3 -> python3.11) are listed once each
	// name, since an environment may ask for any of them; the path shows what they are.
	// Versioned names are listed only when they run: pyenv puts a shim on PATH for every
	// version it knows, including ones that are not active.
	add("python3", "python3", "--version")
	add("python", "python", "--version")
	for _, m := range pythonMinors {
		addOptional("python" + m)
	}
	add("uv", "uv", "--version")
	add("pip", "python3", "-m", "pip", "--version")

	r.Tools = make([]Tool, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		r.Tools[i] = Tool{Name: q.name, Path: q.path}
		if q.path == "" {
			r.Tools[i].Problem = "not found on PATH"
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Tools[i].Version, r.Tools[i].Problem = version(ctx, q.path, q.args)
		}()
	}
	wg.Wait()
	kept := r.Tools[:0]
	for i, t := range r.Tools {
		if !(queries[i].optional && t.Problem != "") {
			kept = append(kept, t)
		}
	}
	r.Tools = kept
	if len(r.Tools) > 0 {
		if pip := &r.Tools[len(r.Tools)-1]; pip.Name == "pip" && pip.Path != "" {
			pip.Path += " -m pip"
		}
	}
	return r
}

// version runs a version query and extracts the first version number from its output.
func version(ctx context.Context, path string, args []string) (string, string) {
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	text := strings.TrimSpace(string(out))
	if err != nil {
		if line, _, _ := strings.Cut(text, "\n"); line != "" {
			return "", line
		}
		return "", err.Error()
	}
	if v := versionRE.FindString(text); v != "" {
		return v, ""
	}
	return text, ""
}

// WriteText renders the report for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	h := r.Hardware
	fmt.Fprintln(tw, "hardware")
	fmt.Fprintf(tw, "  cpu\t%s (%d cores)\n", h.CPUModel, h.CPUCount)
	switch {
	case len(h.GPUs) == 0 && h.NoGPU != "":
		fmt.Fprintf(tw, "  gpus\tnone: %s\n", h.NoGPU)
	case len(h.GPUs) == 0:
		fmt.Fprintf(tw, "  gpus\tnone\n")
	default:
		for _, g := range h.GPUs {
			fmt.Fprintf(tw, "  gpu %d\t%s, %d MiB, compute capability %s, %s\n", g.Index, g.Name, g.MemoryMiB, g.ComputeCapability, g.UUID)
		}
		fmt.Fprintf(tw, "  driver\t%s, CUDA %s\n", h.Driver, h.CUDA)
	}
	fmt.Fprintf(tw, "  class\t%s\n", r.Class)
	fmt.Fprintln(tw, "tools")
	for _, t := range r.Tools {
		switch {
		case t.Problem != "" && t.Path == "":
			fmt.Fprintf(tw, "  %s\t%s\n", t.Name, t.Problem)
		case t.Problem != "":
			fmt.Fprintf(tw, "  %s\tunusable (%s): %s\n", t.Name, t.Path, t.Problem)
		default:
			fmt.Fprintf(tw, "  %s\t%s (%s)\n", t.Name, t.Version, t.Path)
		}
	}
	return tw.Flush()
}
