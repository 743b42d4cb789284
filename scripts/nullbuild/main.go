// Command nullbuild measures isobench's builds of a synthetic workspace: N commit targets over
// one real repository of N commits. It times the first (cold) build, in which every target's
// facts are read from git and stored, then the null build (everything cached), `status` and
// `validate`, and ninja's null build of an N-edge graph in the same run. It prints
//
//	coldbuild targets=N seconds=S actions_per_second=A peak_rss_mb=M
//	nullbuild targets=N seconds=S peak_rss_mb=M ninja_seconds=S min_seconds=S ninja_min_seconds=S bytes_per_target=B
//	inspect targets=N status_seconds=S validate_seconds=S status_min_seconds=S validate_min_seconds=S
//
// The cold build runs once (its actions executed are counted from isobench's summary); every
// other figure is the median of -runs runs, with the minimum beside it. peak_rss_mb is the
// largest peak RSS of those runs; bytes_per_target is the null build's peak RSS over N.
// With -baseline OLD, a fourth line times OLD's null build, status and validate on the same
// workspace and cache, so that a change is measured against its parent in one run:
//
//	baseline targets=N seconds=S min_seconds=S peak_rss_mb=M status_seconds=S ...
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("isobench", "bin/isobench", "the isobench binary to measure")
	n := flag.Int("n", 10000, "commits and targets")
	runs := flag.Int("runs", 5, "runs of each null build, status and validate")
	baseline := flag.String("baseline", "", "another isobench binary (an older build) whose null build, status and validate are timed on the same workspace and cache, after this one's")
	keep := flag.Bool("keep", false, "keep the temporary workspace")
	flag.Parse()
	binary, err := filepath.Abs(*bin)
	check(err)

	dir, err := os.MkdirTemp("", "isobench-nullbuild-")
	check(err)
	if !*keep {
		defer os.RemoveAll(dir)
	} else {
		log.Printf("workspace kept in %s", dir)
	}
	repo := filepath.Join(dir, "repo")
	shas := makeRepo(repo, *n)
	ws := filepath.Join(dir, "ws")
	writeWorkspace(ws, repo, shas)

	env := append(os.Environ(), "ISOBENCH_HOME="+filepath.Join(dir, "home"))
	build := []string{"build", "//commits:all"}
	cold := run(binary, ws, env, build)
	m := regexp.MustCompile(`(\d+) executed`).FindStringSubmatch(cold.out)
	if m == nil {
		log.Fatalf("the first build printed no summary:\n%s", cold.out)
	}
	executed, _ := strconv.Atoi(m[1])
	fmt.Printf("coldbuild targets=%d seconds=%.3f actions_per_second=%.1f peak_rss_mb=%d\n",
		*n, cold.seconds, float64(executed)/cold.seconds, cold.rss/1024)

	null := repeat(*runs, func() result {
		r := run(binary, ws, env, build)
		if !strings.Contains(r.out, " 0 executed") {
			log.Fatalf("the null build executed something:\n%s", r.out)
		}
		return r
	})
	ninjaMed, ninjaMin := ninja(dir, *n, *runs)
	fmt.Printf("nullbuild targets=%d seconds=%.3f peak_rss_mb=%d ninja_seconds=%s min_seconds=%.3f ninja_min_seconds=%s bytes_per_target=%d\n",
		*n, null.median, null.rss/1024, ninjaMed, null.min, ninjaMin, null.rss*1024/int64(*n))
	status := repeat(*runs, func() result { return run(binary, ws, env, []string{"status", "//commits:all"}) })
	validate := repeat(*runs, func() result { return run(binary, ws, env, []string{"validate", "//commits:all"}) })
	fmt.Printf("inspect targets=%d status_seconds=%.3f validate_seconds=%.3f status_min_seconds=%.3f validate_min_seconds=%.3f\n",
		*n, status.median, validate.median, status.min, validate.min)
	if *baseline == "" {
		return
	}
	old, err := filepath.Abs(*baseline)
	check(err)
	null = repeat(*runs, func() result { return run(old, ws, env, build) })
	status = repeat(*runs, func() result { return run(old, ws, env, []string{"status", "//commits:all"}) })
	validate = repeat(*runs, func() result { return run(old, ws, env, []string{"validate", "//commits:all"}) })
	fmt.Printf("baseline targets=%d seconds=%.3f min_seconds=%.3f peak_rss_mb=%d status_seconds=%.3f status_min_seconds=%.3f validate_seconds=%.3f validate_min_seconds=%.3f\n",
		*n, null.median, null.min, null.rss/1024, status.median, status.min, validate.median, validate.min)
}

// result is one run of isobench: its output, wall time and peak RSS in KiB.
type result struct {
	out     string
	seconds float64
	rss     int64
}

// run runs isobench once in ws and stops the benchmark if it fails.
func run(bin, ws string, env, args []string) result {
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = ws, env
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	r := result{out: string(out), seconds: time.Since(t0).Seconds()}
	if err != nil {
		log.Fatalf("isobench %s failed: %v\n%s", strings.Join(args, " "), err, out)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rss = ru.Maxrss
	}
	return r
}

// summary is the median and minimum of repeated runs, and the largest peak RSS among them.
type summary struct {
	median, min float64
	rss         int64
}

func repeat(n int, f func() result) summary {
	var times []float64
	var s summary
	for i := 0; i < n; i++ {
		r := f()
		times = append(times, r.seconds)
		s.rss = max(s.rss, r.rss)
	}
	sort.Float64s(times)
	s.median, s.min = times[len(times)/2], times[0]
	return s
}

// makeRepo writes n commits with git fast-import, each changing one file.
func makeRepo(dir string, n int) []string {
	git(dir, "", "init", "-q", "-b", "main", dir)
	var stream bytes.Buffer
	for i := 1; i <= n; i++ {
		content := fmt.Sprintf("x = %d\n", i)
		fmt.Fprintf(&stream, "commit refs/heads/main\nmark :%d\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s\n",
			i, 1700000000+i, len(fmt.Sprintf("commit %d", i)), fmt.Sprintf("commit %d", i))
		if i > 1 {
			fmt.Fprintf(&stream, "from :%d\n", i-1)
		}
		fmt.Fprintf(&stream, "M 644 inline f%d.py\ndata %d\n%s\n", i%100, len(content), content)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Stdin = dir, &stream
	out, err := cmd.CombinedOutput()
	if err != nil {
		log.Fatalf("git fast-import: %v\n%s", err, out)
	}
	log := git(dir, "", "log", "--format=%H", "main")
	shas := strings.Fields(log)
	return shas
}

func writeWorkspace(ws, repo string, shas []string) {
	check(os.MkdirAll(filepath.Join(ws, "repos"), 0o755))
	check(os.MkdirAll(filepath.Join(ws, "commits"), 0o755))
	check(os.WriteFile(filepath.Join(ws, "isobench.hcl"), []byte("workspace {\n  name = \"nullbuild\"\n}\n"), 0o644))
	check(os.WriteFile(filepath.Join(ws, "repos", "BUILD.hcl"), []byte(fmt.Sprintf("repo \"r\" {\n  url = %q\n}\n", repo)), 0o644))
	var csv strings.Builder
	csv.WriteString("name,sha\n")
	for i, sha := range shas {
		if i == len(shas)-1 {
			break // the root commit has no parent
		}
		fmt.Fprintf(&csv, "c%05d,%s\n", i, sha)
	}
	check(os.WriteFile(filepath.Join(ws, "commits", "commits.csv"), []byte(csv.String()), 0o644))
	build := `commit "c" {
  for_each = { for row in csvdecode(file("commits.csv")) : row.name => row }
  repo     = "//repos:r"
  head     = each.value.sha
}
`
	check(os.WriteFile(filepath.Join(ws, "commits", "BUILD.hcl"), []byte(build), 0o644))
}

// ninja times the null build of an equivalent graph: n edges, each one output from one input.
// It returns the median and minimum of runs null builds, or NA twice without ninja.
func ninja(dir string, n, runs int) (median, min string) {
	if _, err := exec.LookPath("ninja"); err != nil {
		return "NA", "NA" // apt-get install ninja-build
	}
	nd := filepath.Join(dir, "ninja")
	check(os.MkdirAll(nd, 0o755))
	var b strings.Builder
	b.WriteString("rule touch\n  command = cp $in $out\n")
	for i := 0; i < n; i++ {
		in := filepath.Join(nd, fmt.Sprintf("in%d", i))
		check(os.WriteFile(in, []byte("x"), 0o644))
		fmt.Fprintf(&b, "build out%d: touch in%d\n", i, i)
	}
	check(os.WriteFile(filepath.Join(nd, "build.ninja"), []byte(b.String()), 0o644))
	once := func() result {
		t0 := time.Now()
		out, err := exec.Command("ninja", "-C", nd).CombinedOutput()
		if err != nil {
			log.Fatalf("ninja: %v\n%s", err, out)
		}
		return result{seconds: time.Since(t0).Seconds()}
	}
	once()
	s := repeat(runs, once)
	return fmt.Sprintf("%.3f", s.median), fmt.Sprintf("%.3f", s.min)
}

func git(dir, stdin string, args ...string) string {
	cmd := exec.Command("git", args...)
	if dir != "" && args[0] != "init" {
		cmd.Dir = dir
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		log.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
