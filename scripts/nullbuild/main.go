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
// The null build, status and validate above are answered from the record of the last
// identical request (engine/record.go) after their first run. A fourth line times them on
// the full path: before each run the CSV file that for_each reads is rewritten with the same
// bytes, as an editor saving an unchanged file does, so that nothing is cached but the
// results:
//
//	fullpath targets=N seconds=S min_seconds=S peak_rss_mb=M status_seconds=S status_min_seconds=S validate_seconds=S validate_min_seconds=S
//
// With -baseline OLD, a fifth line times OLD's null build, status and validate on the same
// workspace and cache, so that a change is measured against its parent in one run:
//
//	baseline targets=N seconds=S min_seconds=S peak_rss_mb=M status_seconds=S ...
//
// and a sixth OLD's full path, each of its runs taken in turn with one of the fullpath line's,
// so that a noisy machine weighs on both alike:
//
//	baseline_fullpath targets=N seconds=S min_seconds=S peak_rss_mb=M status_seconds=S ...
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
	"strconv"
	"strings"
	"time"

	"github.com/isobench/isobench/scripts/internal/bench"
)

func main() {
	bin := flag.String("isobench", "bin/isobench", "the isobench binary to measure")
	n := flag.Int("n", 10000, "commits and targets")
	runs := flag.Int("runs", 5, "runs of each null build, status and validate")
	baseline := flag.String("baseline", "", "another isobench binary (an older build) whose null build, status and validate are timed on the same workspace and cache, after this one's")
	keep := flag.Bool("keep", false, "keep the temporary workspace")
	flag.Parse()
	binary, err := filepath.Abs(*bin)
	bench.Check(err)

	dir, err := os.MkdirTemp("", "isobench-nullbuild-")
	bench.Check(err)
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
	cold := bench.Run(binary, ws, env, build)
	m := regexp.MustCompile(`(\d+) executed`).FindStringSubmatch(cold.Out)
	if m == nil {
		log.Fatalf("the first build printed no summary:\n%s", cold.Out)
	}
	executed, _ := strconv.Atoi(m[1])
	fmt.Printf("coldbuild targets=%d seconds=%.3f actions_per_second=%.1f peak_rss_mb=%d\n",
		*n, cold.Seconds, float64(executed)/cold.Seconds, cold.RSS/1024)

	null := bench.Repeat(*runs, func() bench.Result {
		r := bench.Run(binary, ws, env, build)
		if !strings.Contains(r.Out, " 0 executed") {
			log.Fatalf("the null build executed something:\n%s", r.Out)
		}
		return r
	})
	ninjaMed, ninjaMin := ninja(dir, *n, *runs)
	fmt.Printf("nullbuild targets=%d seconds=%.3f peak_rss_mb=%d ninja_seconds=%s min_seconds=%.3f ninja_min_seconds=%s bytes_per_target=%d\n",
		*n, null.Median, null.RSS/1024, ninjaMed, null.Min, ninjaMin, null.RSS*1024/int64(*n))
	status, validate := []string{"status", "//commits:all"}, []string{"validate", "//commits:all"}
	// each times runs of bin with each of args in turn, calling before ahead of every run.
	each := func(bin string, before func(), args ...[]string) []bench.Summary {
		var out []bench.Summary
		for _, a := range args {
			out = append(out, bench.Repeat(*runs, func() bench.Result {
				before()
				return bench.Run(bin, ws, env, a)
			}))
		}
		return out
	}
	// row prints a build, status and validate of every target, timed by each.
	row := func(name string, s []bench.Summary) {
		fmt.Printf("%s targets=%d seconds=%.3f min_seconds=%.3f peak_rss_mb=%d status_seconds=%.3f status_min_seconds=%.3f validate_seconds=%.3f validate_min_seconds=%.3f\n",
			name, *n, s[0].Median, s[0].Min, s[0].RSS/1024, s[1].Median, s[1].Min, s[2].Median, s[2].Min)
	}
	inspect := each(binary, func() {}, status, validate)
	fmt.Printf("inspect targets=%d status_seconds=%.3f validate_seconds=%.3f status_min_seconds=%.3f validate_min_seconds=%.3f\n",
		*n, inspect[0].Median, inspect[1].Median, inspect[0].Min, inspect[1].Min)
	csv := filepath.Join(ws, "commits", "commits.csv")
	touchCSV := func() {
		data, err := os.ReadFile(csv)
		bench.Check(err)
		bench.Check(os.WriteFile(csv, data, 0o644))
	}
	if *baseline == "" {
		row("fullpath", each(binary, touchCSV, build, status, validate))
		return
	}
	old, err := filepath.Abs(*baseline)
	bench.Check(err)
	var now, then []bench.Summary
	for _, a := range [][]string{build, status, validate} {
		run := func(bin string) func() bench.Result {
			return func() bench.Result { touchCSV(); return bench.Run(bin, ws, env, a) }
		}
		n, t := alternate(*runs, run(binary), run(old))
		now, then = append(now, n), append(then, t)
	}
	row("fullpath", now)
	row("baseline", each(old, func() {}, build, status, validate))
	row("baseline_fullpath", then)
}

// alternate runs a and b in turn, runs times each, and summarises each one's runs.
func alternate(runs int, a, b func() bench.Result) (bench.Summary, bench.Summary) {
	var ra, rb []bench.Result
	for range runs {
		ra, rb = append(ra, a()), append(rb, b())
	}
	summary := func(rs []bench.Result) bench.Summary {
		i := -1
		return bench.Repeat(len(rs), func() bench.Result { i++; return rs[i] })
	}
	return summary(ra), summary(rb)
}

// makeRepo writes n commits with git fast-import, each changing one file.
func makeRepo(dir string, n int) []string {
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
	bench.FastImport(dir, &stream)
	return strings.Fields(bench.Git(dir, "log", "--format=%H", "main"))
}

func writeWorkspace(ws, repo string, shas []string) {
	bench.Check(os.MkdirAll(filepath.Join(ws, "repos"), 0o755))
	bench.Check(os.MkdirAll(filepath.Join(ws, "commits"), 0o755))
	bench.Check(os.WriteFile(filepath.Join(ws, "isobench.hcl"), []byte("workspace {\n  name = \"nullbuild\"\n}\n"), 0o644))
	bench.Check(os.WriteFile(filepath.Join(ws, "repos", "BUILD.hcl"), []byte(fmt.Sprintf("repo \"r\" {\n  url = %q\n}\n", repo)), 0o644))
	var csv strings.Builder
	csv.WriteString("name,sha\n")
	for i, sha := range shas {
		if i == len(shas)-1 {
			break // the root commit has no parent
		}
		fmt.Fprintf(&csv, "c%05d,%s\n", i, sha)
	}
	bench.Check(os.WriteFile(filepath.Join(ws, "commits", "commits.csv"), []byte(csv.String()), 0o644))
	build := `commit "c" {
  for_each = { for row in csvdecode(file("commits.csv")) : row.name => row }
  repo     = "//repos:r"
  head     = each.value.sha
}
`
	bench.Check(os.WriteFile(filepath.Join(ws, "commits", "BUILD.hcl"), []byte(build), 0o644))
}

// ninja times the null build of an equivalent graph: n edges, each one output from one input.
// It returns the median and minimum of runs null builds, or NA twice without ninja.
func ninja(dir string, n, runs int) (median, min string) {
	if _, err := exec.LookPath("ninja"); err != nil {
		return "NA", "NA" // apt-get install ninja-build
	}
	nd := filepath.Join(dir, "ninja")
	bench.Check(os.MkdirAll(nd, 0o755))
	var b strings.Builder
	b.WriteString("rule touch\n  command = cp $in $out\n")
	for i := 0; i < n; i++ {
		in := filepath.Join(nd, fmt.Sprintf("in%d", i))
		bench.Check(os.WriteFile(in, []byte("x"), 0o644))
		fmt.Fprintf(&b, "build out%d: touch in%d\n", i, i)
	}
	bench.Check(os.WriteFile(filepath.Join(nd, "build.ninja"), []byte(b.String()), 0o644))
	once := func() bench.Result {
		t0 := time.Now()
		out, err := exec.Command("ninja", "-C", nd).CombinedOutput()
		if err != nil {
			log.Fatalf("ninja: %v\n%s", err, out)
		}
		return bench.Result{Seconds: time.Since(t0).Seconds()}
	}
	once()
	s := bench.Repeat(runs, once)
	return fmt.Sprintf("%.3f", s.Median), fmt.Sprintf("%.3f", s.Min)
}
