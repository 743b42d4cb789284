// Command nullbuild measures isobench's null build: a workspace of 10,000 commit targets over
// one real repository of 10,000 commits, built once, then built again with everything cached.
// It compares with ninja's null build of a 10,000-edge graph in the same run and prints
//
//	nullbuild targets=10000 seconds=S peak_rss_mb=M ninja_seconds=N
//
// S is the median of five null builds; M the peak RSS of the slowest of them.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("isobench", "bin/isobench", "the isobench binary to measure")
	n := flag.Int("n", 10000, "commits and targets")
	keep := flag.Bool("keep", false, "keep the temporary workspace")
	flag.Parse()
	binary, err := filepath.Abs(*bin)
	check(err)

	dir, err := os.MkdirTemp("", "isobench-nullbuild-")
	check(err)
	if !*keep {
		defer os.RemoveAll(dir)
	}
	repo := filepath.Join(dir, "repo")
	shas := makeRepo(repo, *n)
	ws := filepath.Join(dir, "ws")
	writeWorkspace(ws, repo, shas)

	env := append(os.Environ(), "ISOBENCH_HOME="+filepath.Join(dir, "home"))
	start := time.Now()
	if out, err := runIsobench(binary, ws, env); err != nil {
		log.Fatalf("first build failed: %v\n%s", err, out)
	}
	log.Printf("first build of %d targets: %.1fs", *n, time.Since(start).Seconds())

	var times []float64
	var peak int64
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		out, rss, err := measure(binary, ws, env)
		if err != nil {
			log.Fatalf("null build failed: %v\n%s", err, out)
		}
		if !strings.Contains(out, " 0 executed") {
			log.Fatalf("the null build executed something:\n%s", out)
		}
		times = append(times, time.Since(t0).Seconds())
		peak = max(peak, rss)
	}
	sort.Float64s(times)
	fmt.Printf("nullbuild targets=%d seconds=%.3f peak_rss_mb=%d ninja_seconds=%s\n", *n, times[len(times)/2], peak/1024, ninja(dir, *n))
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

func runIsobench(bin, ws string, env []string) (string, error) {
	cmd := exec.Command(bin, "build", "//commits:all")
	cmd.Dir, cmd.Env = ws, env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// measure runs one null build and returns its peak RSS in KiB.
func measure(bin, ws string, env []string) (string, int64, error) {
	cmd := exec.Command(bin, "build", "//commits:all")
	cmd.Dir, cmd.Env = ws, env
	out, err := cmd.CombinedOutput()
	var rss int64
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss
		}
	}
	return string(out), rss, err
}

// ninja times the null build of an equivalent graph: n edges, each one output from one input.
func ninja(dir string, n int) string {
	if _, err := exec.LookPath("ninja"); err != nil {
		return "NA(ninja not installed: apt-get install ninja-build)"
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
	run := func() float64 {
		t0 := time.Now()
		cmd := exec.Command("ninja", "-C", nd)
		out, err := cmd.CombinedOutput()
		if err != nil {
			log.Fatalf("ninja: %v\n%s", err, out)
		}
		return time.Since(t0).Seconds()
	}
	run()
	var times []float64
	for i := 0; i < 5; i++ {
		times = append(times, run())
	}
	sort.Float64s(times)
	return fmt.Sprintf("%.3f", times[len(times)/2])
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
