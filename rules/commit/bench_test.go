package commit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
	"github.com/isobench/isobench/rules/ruletest"
)

// many makes a workspace declaring n commit targets by full SHA, from a CSV file as a user
// with a list of performance commits would, over n empty commits of a real repository (empty
// so that the first build reads no diffs and stays fast).
func many(tb testing.TB, n int) *ruletest.Workspace {
	base := tb.TempDir()
	r := gittest.NewAt(tb, filepath.Join(base, "upstream"))
	r.Commit("root", map[string]string{"a.txt": "a\n"})
	shas := r.EmptyCommits("main", n)
	var csv strings.Builder
	csv.WriteString("name,sha\n")
	for i, sha := range shas {
		fmt.Fprintf(&csv, "c%05d,%s\n", i, sha)
	}
	return newWorkspace(tb, base, map[string]string{
		"repos/BUILD.hcl":     reposBuild,
		"commits/commits.csv": csv.String(),
		"commits/BUILD.hcl": `
commit "perf" {
  for_each = { for row in csvdecode(file("commits.csv")) : row.name => row }
  repo     = "//repos:up"
  head     = each.value.sha
}
`,
	})
}

// A cached build of many commits named by full SHA executes nothing and runs no git. The
// time is logged; the bound asserted is loose, for slow shared machines.
func TestManyCachedCommits(t *testing.T) {
	// The first build stores 10,000 results, which takes most of a minute on a machine with a
	// slow disk (each result is a synced write); ISOBENCH_SLOW_TESTS=1 asks for the full size.
	n := 500
	if os.Getenv("ISOBENCH_SLOW_TESTS") != "" {
		n = 10000
	}
	w := many(t, n)
	start := time.Now()
	first := w.Build("//commits:all")
	if first.Summary.Failed > 0 || first.Summary.Executed != n+1 {
		t.Fatalf("first build: %+v", first.Summary.Counts)
	}
	t.Logf("first build of %d commits: %v", n, time.Since(start))

	t.Setenv("PATH", "") // no git to be had: a cached build needs none
	start = time.Now()
	second := w.Build("//commits:all")
	elapsed := time.Since(start)
	if second.Summary.Executed != 0 || second.Summary.Cached != n+1 {
		t.Fatalf("second build: %+v", second.Summary.Counts)
	}
	t.Logf("cached build of %d commits: %v (load+plan+prepare+lookups)", n, elapsed)
	if elapsed > 10*time.Second {
		t.Errorf("a cached build of %d commits took %v", n, elapsed)
	}
}

// BenchmarkPrepare10k measures planning and preparing 10,000 full-SHA commit targets (the
// status walk: every action prepared and looked up, nothing executed, no git run).
func BenchmarkPrepare10k(b *testing.B) {
	w := many(b, 10000)
	if r := w.Build("//repos:all"); r.Summary.Failed > 0 {
		b.Fatal(r.Summary.Failures)
	}
	plan := w.Plan("//commits:all")
	store := w.OpenStore(true)
	defer store.Close()
	roots := map[engine.Label]*engine.Action{}
	b.Setenv("PATH", "")
	b.ResetTimer()
	for b.Loop() {
		p := engine.NewPlanner(plan.Workspace)
		for _, l := range plan.Targets {
			a, err := p.Plan(l)
			if err != nil {
				b.Fatal(err)
			}
			roots[l] = a
		}
		states, err := engine.Inspect(context.Background(), plan.Targets, roots, engine.Options{
			Store: store, Workspace: plan.Workspace, UserCache: w.UserCache, Jobs: 4})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range states {
			if s.State == "error" {
				b.Fatalf("%s: %s", s.Label, s.Message)
			}
		}
	}
}

// BenchmarkCachedBuild10k measures a whole cached build (load, plan, prepare, lookups) of
// 10,000 full-SHA commit targets.
func BenchmarkCachedBuild10k(b *testing.B) {
	w := many(b, 10000)
	if r := w.Build("//commits:all"); r.Summary.Failed > 0 {
		b.Fatal(r.Summary.Failures)
	}
	b.Setenv("PATH", "")
	b.ResetTimer()
	for b.Loop() {
		if r := w.Build("//commits:all"); r.Summary.Executed != 0 {
			b.Fatalf("a cached build executed %d actions", r.Summary.Executed)
		}
	}
}
