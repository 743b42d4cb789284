package commitsearch

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
	"github.com/isobench/isobench/rules/ruletest"
)

// history makes a repository of 30 commits of mixed kinds and returns it with the SHAs the
// test names: the last commit, and the commits the funnel is about.
type history struct {
	r                               *gittest.Repo
	head                            string
	mean, cache, slowTest, optimize string // the four candidates
	readme2                         string // a commit without keywords, included by hand
}

func makeHistory(t *testing.T) *history {
	h := &history{r: gittest.New(t)}
	r := h.r
	r.Commit("Initial import", map[string]string{"lib/mean.py": "def mean(xs): return sum(xs) / len(xs)\n",
		"docs/index.md": "# lib\n", "README.md": "lib\n"})
	for i := 1; i <= 8; i++ { // no keyword
		sha := r.Commit(fmt.Sprintf("Update README %d", i), map[string]string{"README.md": fmt.Sprintf("lib %d\n", i)})
		if i == 2 {
			h.readme2 = sha
		}
	}
	h.mean = r.Commit("Speed up mean with a running total", map[string]string{"lib/mean.py": "def mean(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t / len(xs)\n"})
	h.cache = r.Commit("Cache the parsed config to cut latency", map[string]string{"lib/config.py": "CACHE = {}\n"})
	h.slowTest = r.Commit("Fix slow test", map[string]string{"tests/test_mean.py": "def test_mean(): pass\n"})
	h.optimize = r.Commit("Optimize imports", map[string]string{"lib/imports.py": "import os\n"})
	many := map[string]string{}
	for i := 0; i < 12; i++ {
		many[fmt.Sprintf("lib/f%d.py", i)] = "x = 1\n"
	}
	r.Commit("Speed up everything at once", many)                                                   // more than 10 files
	r.Commit("Document performance tuning", map[string]string{"docs/tuning.md": "tune\n"})          // only excluded paths
	r.Commit("Reduce overhead in CI", map[string]string{"ci/run.sh": "make\n"})                     // no file under paths
	r.Commit("Speed up the table", map[string]string{"lib/table.py": strings.Repeat("row\n", 300)}) // more than 200 lines
	for i := 1; i <= 10; i++ {                                                                      // no keyword
		r.Commit(fmt.Sprintf("Refactor part %d", i), map[string]string{"lib/misc.py": fmt.Sprintf("part = %d\n", i)})
	}
	r.Git("checkout", "--quiet", "-b", "side")
	r.Commit("Side work", map[string]string{"lib/side.py": "side = 1\n"})
	r.Git("checkout", "--quiet", "main")
	r.Commit("Tidy", map[string]string{"lib/tidy.py": "tidy = 1\n"})
	r.Git("merge", "--quiet", "--no-ff", "-m", "Merge the perf branch", "side") // a merge
	h.head = r.Git("rev-parse", "HEAD")
	return h
}

// searchFiles is the workspace: the repository, the stand-in classifier on the server, and the
// search up to head, with prompt as the classifier's prompt.
func searchFiles(h *history, server *judgeServer, head, prompt string) map[string]string {
	return map[string]string{
		"repos/BUILD.hcl": fmt.Sprintf("repo \"up\" {\n  url = %s\n}\n", ruletest.Quote(h.r.Dir)),
		"generators/BUILD.hcl": fmt.Sprintf("generator \"judge\" {\n  base_url = %q\n  model = \"judge-1\"\n  prompt = %s\n}\n",
			server.URL+"/v1", prompt),
		"mining/BUILD.hcl": fmt.Sprintf(`commit_search "lib" {
  repo          = "//repos:up"
  to            = %q
  paths         = ["lib/**", "tests/**"]
  exclude_paths = ["docs/**"]
  max_files     = 10
  max_lines     = 200
  generator     = "//generators:judge"
  exclude       = { %q = "reverted two days later" }
  include       = { %q = "found by hand" }
  output        = "perf_commits.csv"
}
`, head, h.cache[:12], h.readme2[:10]),
	}
}

const plainPrompt = `"Is ${commit.subject} a performance commit?"`

func record(t *testing.T, w *ruletest.Workspace, b *ruletest.Build) *artifact.SearchRecord {
	t.Helper()
	v := b.ByID("commit_search //mining:lib")
	if v == nil || v.Outcome == nil || v.Outcome.Status != engine.StatusOK {
		t.Fatalf("the search did not succeed: %s\n%s", ruletest.Describe(v), b.AllLogs())
	}
	var rec artifact.SearchRecord
	w.DecodeOutput(v, artifact.SearchOutput, &rec)
	return &rec
}

func selected(rec *artifact.SearchRecord) map[string]string {
	out := map[string]string{}
	for _, d := range rec.Decisions {
		if d.Selected {
			out[d.SHA] = d.By + ": " + d.Reason
		}
	}
	return out
}

// TestSearch builds a search over a real repository with a classifier on a real HTTP server:
// the funnel's counts, the list written, and the requests of the first build (one per
// candidate), a rebuild (none), a range extension (only the new candidates), a transient
// failure (the answers received are kept) and a prompt edit (only where it changed).
func TestSearch(t *testing.T) {
	h := makeHistory(t)
	server := newJudgeServer(t)
	w := ruletest.New(t, searchFiles(h, server, h.head, plainPrompt), ruletest.Repo{}, classifierKind{}, Kind{})

	rec := record(t, w, w.Build("//mining:lib"))
	want := artifact.Funnel{Scanned: 30, Keywords: 8, Candidates: 4, Accepted: 2, Selected: 2, Rejected: map[string]int{
		"no keyword": 21, "merge": 1, "more than 10 files": 1, "only excluded paths": 1, "no file under paths": 1,
		"more than 200 lines": 1, "model: not a performance commit": 2, "excluded": 1}}
	if !reflect.DeepEqual(rec.Funnel, want) {
		t.Errorf("funnel = %+v\nwant     %+v", rec.Funnel, want)
	}
	if n := server.take(); n != 4 {
		t.Errorf("the first build sent %d requests, want 4 (one per candidate)", n)
	}
	wantSelected := map[string]string{h.mean: "model: judged true", h.readme2: "include: found by hand"}
	if got := selected(rec); !reflect.DeepEqual(got, wantSelected) {
		t.Errorf("selected = %v, want %v", got, wantSelected)
	}
	for _, d := range rec.Decisions {
		if d.SHA == h.cache && (d.Selected || d.By != "exclude" || !strings.HasPrefix(d.Reason, "reverted two days later")) {
			t.Errorf("the excluded commit: %+v", d)
		}
	}

	// The list is a CSV that for_each reads: one commit target per selected commit.
	list := filepath.Join(w.Dir, "mining", "perf_commits.csv")
	rows := readCSV(t, list)
	if len(rows) != 3 || rows[0][1] != "sha" || rows[1][1] != h.mean || rows[1][9] != "model" || rows[1][11] != "lib.mean" {
		t.Errorf("perf_commits.csv = %q", rows)
	}
	w.Write(map[string]string{"commits/BUILD.hcl": `commit "perf" {
  for_each = { for row in csvdecode(file("../mining/perf_commits.csv")) : row.name => row }
  head     = each.value.sha
  base     = each.value.base
}
`})
	w.Kinds = append(w.Kinds, ruletest.Commit{})
	ws, _ := w.Load()
	if _, ok := ws.Targets[ruletest.Label("//commits:perf."+h.mean[:12])]; !ok {
		t.Errorf("no commit target for %s among %v", h.mean[:12], ws.Labels())
	}
	// A workspace whose for_each reads the list cannot load without it: the rest of the test
	// removes the list, so it drops the reader.
	os.Remove(filepath.Join(w.Dir, "commits", "BUILD.hcl"))

	// Every decision is written beside the list, for review: the rejected ones with the
	// model's reasons too.
	recordFile := filepath.Join(w.Dir, "mining", "perf_commits.search.json")
	var onDisk artifact.SearchRecord
	if data, err := os.ReadFile(recordFile); err != nil || json.Unmarshal(data, &onDisk) != nil ||
		len(onDisk.Decisions) != 5 || onDisk.Decisions[1].SHA != h.slowTest || onDisk.Decisions[1].Reason != "judged false" ||
		onDisk.Decisions[2].Reason != "reverted two days later (the model: judged true)" {
		t.Errorf("the record on disk (%v): %+v", err, onDisk.Decisions)
	}

	// A rebuild asks nothing; files that were removed come back from the cache.
	os.Remove(list)
	os.Remove(recordFile)
	b := w.Build("//mining:lib")
	record(t, w, b)
	if n := server.take(); n != 0 {
		t.Errorf("the rebuild sent %d requests, want 0", n)
	}
	if rows := readCSV(t, list); len(rows) != 3 {
		t.Errorf("the removed list came back with %d rows, want 3", len(rows))
	}
	if _, err := os.Stat(recordFile); err != nil {
		t.Errorf("the removed record did not come back: %v", err)
	}

	// Three more commits, two of them candidates. The first build after extending the range
	// fails on one of them (HTTP 500): the other's answer is kept, so the next asks only one.
	median := h.r.Commit("Speed up median", map[string]string{"lib/median.py": "def median(xs): pass\n"})
	h.r.Commit("Make the slow path explicit", map[string]string{"lib/path.py": "slow = True\n"})
	h.r.Commit("Update README again", map[string]string{"README.md": "lib again\n"})
	head2 := h.r.Git("rev-parse", "HEAD")
	w.Write(searchFiles(h, server, head2, plainPrompt))
	server.fail = "Speed up median"
	b = w.Build("//mining:lib")
	if v := b.ByID("commit_search //mining:lib"); v.Outcome == nil || v.Outcome.Status != engine.StatusFailed ||
		v.Outcome.Class != "server_error" || !strings.Contains(v.Outcome.Message, "1 of 6 classifications failed; the 5 answers received are kept") {
		t.Errorf("with the server failing: %s", ruletest.Describe(v))
	}
	if n := server.take(); n != 2 {
		t.Errorf("the extended range sent %d requests, want 2 (the new candidates only)", n)
	}
	server.fail = ""
	rec = record(t, w, w.Build("//mining:lib"))
	if n := server.take(); n != 1 {
		t.Errorf("after the failure, the build sent %d requests, want 1 (the failed one)", n)
	}
	if rec.Funnel.Scanned != 33 || rec.Funnel.Candidates != 6 || rec.Funnel.Accepted != 3 || rec.Funnel.Selected != 3 {
		t.Errorf("extended funnel = %+v", rec.Funnel)
	}
	if _, ok := selected(rec)[median]; !ok {
		t.Errorf("the new performance commit is not selected: %v", selected(rec))
	}

	// A prompt edit that changes the prompt of one commit: status names that commit's line,
	// and the build asks once.
	edited := `"Is ${commit.subject} a performance commit?%{ if contains(commit.files, "lib/mean.py") } Mind the mean.%{ endif }"`
	w.Write(searchFiles(h, server, head2, edited))
	st := w.Status("//mining:lib")[ruletest.Label("//mining:lib")]
	if st.State != "stale" || len(st.Stale) != 1 || len(st.Stale[0].Changes) != 1 ||
		st.Stale[0].Changes[0].Name != "classify."+h.mean[:12] {
		t.Errorf("status after the prompt edit = %+v", st)
	}
	record(t, w, w.Build("//mining:lib"))
	if n := server.take(); n != 1 {
		t.Errorf("the prompt edit sent %d requests, want 1 (the commit whose prompt changed)", n)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestSearchWithoutModel: with no generator the candidates are the list; merges can be kept
// (their files are those against the first parent); the list can be JSON; a date range
// narrows the scan.
func TestSearchWithoutModel(t *testing.T) {
	h := makeHistory(t)
	w := ruletest.New(t, map[string]string{
		"repos/BUILD.hcl": fmt.Sprintf("repo \"up\" {\n  url = %s\n}\n", ruletest.Quote(h.r.Dir)),
		"mining/BUILD.hcl": fmt.Sprintf(`commit_search "wide" {
  repo      = "//repos:up"
  to        = %q
  keywords  = ["perf", "speed up"]
  max_files = 10
  merges    = true
  output    = "perf.json"
}
`, h.head)}, ruletest.Repo{}, Kind{})
	b := w.Build("//mining:wide")
	v := b.ByID("commit_search //mining:wide")
	if v == nil || v.Outcome == nil || v.Outcome.Status != engine.StatusOK {
		t.Fatalf("the search did not succeed: %s\n%s", ruletest.Describe(v), b.AllLogs())
	}
	var rec artifact.SearchRecord
	w.DecodeOutput(v, artifact.SearchOutput, &rec)
	// Keyword matches: "Speed up" x3 (one changes 12 files), "Document performance tuning",
	// and the merge "Merge the perf branch", kept with the one file it brings.
	if rec.Funnel.Keywords != 5 || rec.Funnel.Candidates != 4 || rec.Funnel.Selected != 4 || rec.Funnel.Rejected["more than 10 files"] != 1 {
		t.Errorf("funnel = %+v", rec.Funnel)
	}
	var rows []struct {
		Name, SHA, By, Reason, Keyword string
		Files                          int
		APIs                           []string
	}
	data, err := os.ReadFile(filepath.Join(w.Dir, "mining", "perf.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0].SHA != h.head || rows[0].Files != 1 || rows[0].By != "filters" ||
		rows[0].Reason != `the message matches "perf"` || rows[0].APIs == nil {
		t.Errorf("perf.json = %+v", rows)
	}
	if !strings.Contains(v.Outcome.Message, "30 scanned, 5 matched keywords, 4 passed filters, 4 selected") {
		t.Errorf("message = %q", v.Outcome.Message)
	}
}
