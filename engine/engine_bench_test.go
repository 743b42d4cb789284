package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/isobench/isobench/cache"
)

// Benchmarks of the engine's paths whose cost grows with the number of targets: loading,
// planning, keys, label sorting and the replay of a null build. scripts/nullbuild measures
// the whole command; these say which part moved. Run them with
//
//	go test ./engine -run '^$' -bench . -benchmem

// benchWorkspace writes a workspace of n thing targets declared by for_each over a CSV, as a
// dataset of n commits is.
func benchWorkspace(b testing.TB, n int) string {
	b.Helper()
	var csv strings.Builder
	csv.WriteString("name,sha\n")
	for i := range n {
		fmt.Fprintf(&csv, "c%06d,%040x\n", i, i)
	}
	files := map[string]string{
		"isobench.hcl":        "",
		"perf/commits.csv":    csv.String(),
		"perf/BUILD.hcl":      "thing \"c\" {\n  for_each = { for row in csvdecode(file(\"commits.csv\")) : row.name => row }\n  text = each.value.sha\n}\n",
		"other/BUILD.hcl":     "thing \"x\" {\n  text = \"x\"\n}\n",
		"other/sub/BUILD.hcl": "",
	}
	return writeTree(b, files)
}

func BenchmarkLoad1k(b *testing.B) {
	root := benchWorkspace(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		mustLoad(b, root, LoadOptions{})
	}
}

// planTargets plans every target of ws and returns the actions.
func planTargets(b testing.TB, ws *Workspace) []*Action {
	b.Helper()
	p := NewPlanner(ws)
	var roots []*Action
	for _, l := range ws.Labels() {
		a, err := p.Plan(l)
		if err != nil {
			b.Fatal(err)
		}
		roots = append(roots, a)
	}
	return roots
}

func BenchmarkPlan1k(b *testing.B) {
	ws := mustLoad(b, benchWorkspace(b, 1000), LoadOptions{})
	b.ReportAllocs()
	for b.Loop() {
		planTargets(b, ws)
	}
}

func BenchmarkSortLabels10k(b *testing.B) {
	ws := mustLoad(b, benchWorkspace(b, 10000), LoadOptions{})
	var labels []Label
	for l := range ws.Targets {
		labels = append(labels, l)
	}
	work := make([]Label, len(labels))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, labels)
		sortLabels(work)
	}
}

// BenchmarkKey computes the description and key of work shaped like a commit action's.
func BenchmarkKey(b *testing.B) {
	w := &Work{RuleVersion: 3, Lines: []Line{
		L("repo", "//repos:r"), L("url", "https://github.com/example/project.git"),
		L("head", strings.Repeat("ab", 20)), L("base", ""), L("input.repo", cache.Sum([]byte("repo"))),
		L("text", "a value with spaces and \"quotes\""),
	}}
	b.ReportAllocs()
	for b.Loop() {
		KeyOf(Description("commit", w))
	}
}

type nopHandler struct{}

func (nopHandler) Event(Event) {}

// BenchmarkReplay1k is the null build of 1,000 planned targets through the scheduler:
// prepare, key, lookup through a Reader, replay, manifests and usage records.
func BenchmarkReplay1k(b *testing.B) {
	root := benchWorkspace(b, 1000)
	ws := mustLoad(b, root, LoadOptions{})
	store, err := cache.Open(b.TempDir(), cache.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	opt := Options{Store: store, Workspace: ws, Jobs: 2, Handler: nopHandler{}}
	roots := planTargets(b, ws)
	if _, _, err := Run(context.Background(), roots, opt); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sum, _, err := Run(context.Background(), planTargets(b, ws), opt)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Executed != 0 {
			b.Fatalf("the null build executed %d actions", sum.Executed)
		}
	}
}
