// Package bench holds what the benchmark scripts (nullbuild, searchbench) share: timing a
// command with its peak RSS, the median and minimum of repeated runs, and making a
// repository of many commits with git fast-import. A failure ends the script.
package bench

import (
	"bytes"
	"log"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Result is one run of a command: its output, wall time and peak RSS in KiB.
type Result struct {
	Out     string
	Seconds float64
	RSS     int64
}

// Run runs bin with args in dir and stops the benchmark if it fails.
func Run(bin, dir string, env, args []string) Result {
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	r := Result{Out: string(out), Seconds: time.Since(t0).Seconds()}
	if err != nil {
		log.Fatalf("%s %s failed: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.RSS = ru.Maxrss
	}
	return r
}

// Summary is the median and minimum of repeated runs, and the largest peak RSS among them.
type Summary struct {
	Median, Min float64
	RSS         int64
}

// Repeat runs f n times.
func Repeat(n int, f func() Result) Summary {
	var times []float64
	var s Summary
	for i := 0; i < n; i++ {
		r := f()
		times = append(times, r.Seconds)
		s.RSS = max(s.RSS, r.RSS)
	}
	sort.Float64s(times)
	s.Median, s.Min = times[len(times)/2], times[0]
	return s
}

// FastImport makes a repository at dir, on branch main, from a git fast-import stream.
func FastImport(dir string, stream *bytes.Buffer) {
	Git("", "init", "-q", "-b", "main", dir)
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Stdin = dir, stream
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("git fast-import: %v\n%s", err, out)
	}
}

// Git runs git in dir and returns its output.
func Git(dir string, args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		log.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Check stops the benchmark on an error.
func Check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
