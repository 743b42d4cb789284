package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const fromRecord = "answered from the record"

// mustRecord runs a command that must succeed and be answered from the record, or not, as
// wantFast says (under ISOBENCH_DEBUG=record).
func (c *cli) mustRecord(wantFast bool, args ...string) result {
	c.t.Helper()
	r := c.must(0, args...)
	if fast := strings.Contains(r.stderr, fromRecord); fast != wantFast {
		c.t.Fatalf("isobench %s: answered from the record = %v, want %v\n%s", strings.Join(args, " "), fast, wantFast, r.stderr)
	}
	return r
}

// recordWorkspace makes a repository of four commits and a workspace whose commit targets
// come from a CSV file read with file(), as many rows as the variable n says (2 by default).
func recordWorkspace(t *testing.T) (ws, repo string, shas []string) {
	root := t.TempDir()
	repo = filepath.Join(root, "repo")
	shas = gitRepo(t, repo, []map[string]string{{"a.py": "1\n"}, {"a.py": "2\n"}, {"a.py": "3\n"}, {"a.py": "4\n"}},
		[]string{"one", "two", "three", "four"})
	ws = filepath.Join(root, "ws")
	writeFiles(t, ws, map[string]string{
		"isobench.hcl":     "workspace {\n  name = \"rec\"\n}\n\nvariable \"n\" {\n  default = \"2\"\n}\n",
		"repos/BUILD.hcl":  "repo \"lib\" {\n  url = \"../../repo\"\n}\n",
		"commits/shas.csv": "name,sha\na," + shas[1] + "\nb," + shas[2] + "\n",
		"commits/BUILD.hcl": `commit "c" {
  for_each = { for row in slice(csvdecode(file("shas.csv")), 0, tonumber(var.n)) : row.name => row }
  repo     = "//repos:lib"
  head     = each.value.sha
}
`,
		"follow/BUILD.hcl": "commit \"main\" {\n  repo = \"//repos:lib\"\n  head = \"main\"\n}\n",
	})
	return ws, repo, shas
}

// TestBuildRecord checks that a null build answered from the record of the last identical
// build says and leaves what the full path does, and that every change the record must see
// sends the build down the full path: a BUILD.hcl edited, a file read by file() edited, a
// variable set on the command line or in the environment, a branch a commit follows moved,
// the cache cleaned, a new binary, a torn record.
func TestBuildRecord(t *testing.T) {
	ws, repo, shas := recordWorkspace(t)
	c := newCLI(t, ws)
	c.env = []string{"ISOBENCH_DEBUG=record"}
	events := filepath.Join(t.TempDir(), "events.jsonl")
	build := func(wantFast bool, extra ...string) buildSummary {
		t.Helper()
		return parseSummary(t, c.mustRecord(wantFast, append([]string{"build", "//commits:all", "--json", "--events", events}, extra...)...))
	}
	expect := func(s buildSummary, executed, cached int) {
		t.Helper()
		if s.Executed != executed || s.Cached != cached || s.Failed+s.Blocked+s.Skipped != 0 {
			t.Fatalf("summary %+v, want %d executed and %d cached", s, executed, cached)
		}
	}

	expect(build(false), 3, 0)              // the repo and two commits
	c.env = []string{"ISOBENCH_DEBUG=keys"} // printing descriptions needs the full path
	full := c.must(0, "build", "//commits:all", "--json", "--events", events)
	fullEvents := mustRead(t, events)
	c.env = []string{"ISOBENCH_DEBUG=record"}
	fast := c.mustRecord(true, "build", "//commits:all", "--json", "--events", events)
	if a, b := withoutSeconds(t, full.stdout), withoutSeconds(t, fast.stdout); a != b {
		t.Errorf("the record's summary differs from the full path's:\nfull: %s\nrecord: %s", a, b)
	}
	if a, b := eventSet(t, fullEvents), eventSet(t, mustRead(t, events)); !slices.Equal(a, b) {
		t.Errorf("the record's events differ from the full path's:\nfull: %v\nrecord: %v", a, b)
	}
	human := c.must(0, "build", "//commits:all")
	if !strings.Contains(human.stdout, "0 executed, 3 cached") || strings.Count(human.stdout, "\n") != 2 {
		t.Errorf("a human null build (first, full) printed:\n%s", human.stdout)
	}
	if again := c.must(0, "build", "//commits:all"); !strings.Contains(again.stderr, fromRecord) || stripTime(again.stdout) != stripTime(human.stdout) {
		t.Errorf("a human null build from the record printed:\n%s\nthe full path:\n%s", again.stdout, human.stdout)
	}

	// An edit of a BUILD.hcl that changes nothing still goes down the full path.
	buildFile := filepath.Join(ws, "commits", "BUILD.hcl")
	os.WriteFile(buildFile, []byte("# a comment\n"+mustRead(t, buildFile)), 0o644)
	expect(build(false), 0, 3)
	expect(build(true), 0, 3)

	// A file read by file(): its second row now names another commit.
	csv := filepath.Join(ws, "commits", "shas.csv")
	os.WriteFile(csv, []byte(strings.Replace(mustRead(t, csv), shas[2], shas[3], 1)), 0o644)
	expect(build(false), 1, 2)
	expect(build(true), 0, 3)

	// A variable on the command line, then in the environment.
	expect(build(false, "--var", "n=1"), 0, 2)
	expect(build(true, "--var", "n=1"), 0, 2)
	c.env = append(c.env, "ISOBENCH_VAR_n=1")
	expect(build(false), 0, 2)
	expect(build(true), 0, 2)
	c.env = c.env[:1]
	expect(build(true), 0, 3) // the record of the plain request is still good

	// A new file in a searched directory (another package) is seen.
	writeFiles(t, ws, map[string]string{"more/BUILD.hcl": "repo \"other\" {\n  url = \"../../repo\"\n}\n"})
	expect(build(false), 0, 3)
	os.RemoveAll(filepath.Join(ws, "more"))
	expect(build(false), 0, 3)

	// A commit that follows a branch is never answered from a record: the branch may move.
	follow := func(wantExecuted int) {
		t.Helper()
		r := c.must(0, "build", "//follow:all", "--json")
		if strings.Contains(r.stderr, fromRecord) {
			t.Fatalf("a build of a branch was answered from a record")
		}
		if s := parseSummary(t, r); s.ByKind["commit"].Executed != wantExecuted {
			t.Fatalf("build of //follow:main: %+v, want %d commit executed", s, wantExecuted)
		}
	}
	follow(1)
	follow(0)
	git(t, repo, "commit", "-q", "--allow-empty", "-m", "five")
	follow(1)
	// Nor is a build of everything, which holds that commit among recordable ones.
	for range 2 {
		if r := c.must(0, "build", "//..."); strings.Contains(r.stderr, fromRecord) {
			t.Fatal("a build holding a commit that follows a branch was answered from a record")
		}
	}

	// The cache cleaned: everything runs again.
	c.must(0, "clean", "--yes")
	expect(build(false), 3, 0)
	expect(build(true), 0, 3)

	// A torn record is not trusted, and the full path writes a good one.
	records, _ := filepath.Glob(filepath.Join(c.home, "records", "*"))
	if len(records) == 0 {
		t.Fatal("no record was written")
	}
	for _, r := range records {
		data, _ := os.ReadFile(r)
		os.WriteFile(r, data[:len(data)-10], 0o644)
	}
	// A record unused for longer than a month goes when another is written.
	stale := filepath.Join(c.home, "records", "stale")
	os.WriteFile(stale, []byte("x"), 0o644)
	month := time.Now().Add(-31 * 24 * time.Hour)
	os.Chtimes(stale, month, month)
	expect(build(false), 0, 3)
	expect(build(true), 0, 3)
	if _, err := os.Stat(stale); err == nil {
		t.Error("a record unused for a month was kept")
	}

	// A new binary (a rebuilt one has a new modification time) does not trust the old one's
	// record.
	bin := filepath.Join(t.TempDir(), "isobench")
	data, err := os.ReadFile(isobenchBin)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, data, 0o755)
	run := func(wantFast bool) {
		t.Helper()
		cmd := exec.Command(bin, "build", "//commits:all")
		cmd.Dir, cmd.Env = ws, append(os.Environ(), "ISOBENCH_HOME="+c.home, "ISOBENCH_DEBUG=record")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		if fast := strings.Contains(stderr.String(), fromRecord); fast != wantFast {
			t.Fatalf("answered from the record = %v, want %v", fast, wantFast)
		}
	}
	run(false)
	run(true)
	os.Remove(bin)
	os.WriteFile(bin, data, 0o755)
	run(false)
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// withoutSeconds is a JSON summary with its time taken out.
func withoutSeconds(t *testing.T, s string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	delete(m, "seconds")
	out, _ := json.Marshal(m)
	return string(out)
}

// stripTime drops the "in 0.1s" of a summary line.
func stripTime(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.LastIndex(l, " in "); i >= 0 && strings.HasSuffix(l, "s") {
			l = l[:i]
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// eventSet is an event log's events without their times, sorted.
func eventSet(t *testing.T, log string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		delete(m, "time")
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

// TestStatusAndValidateRecords checks that status and validate answer an unchanged
// workspace from their records, print what the full path prints, and see a change.
func TestStatusAndValidateRecords(t *testing.T) {
	ws, _, shas := recordWorkspace(t)
	c := newCLI(t, ws)
	c.env = []string{"ISOBENCH_DEBUG=record"}
	twice := func(args ...string) string {
		t.Helper()
		full := c.mustRecord(false, args...) // after a change
		again := c.mustRecord(true, args...)
		if again.stdout != full.stdout {
			t.Errorf("%v from the record printed:\n%s\nthe full path:\n%s", args, again.stdout, full.stdout)
		}
		return full.stdout
	}
	if out := twice("validate"); !strings.Contains(out, "4 targets, 4 actions: ok") {
		t.Errorf("validate: %s", out)
	}
	c.must(0, "build", "//commits:all")
	if out := twice("status", "//commits:all"); !strings.Contains(out, "cached   //commits:c.a") || !strings.Contains(out, "2 targets, 0 stale") {
		t.Errorf("status: %s", out)
	}
	// A stale target is never recorded.
	csv := filepath.Join(ws, "commits", "shas.csv")
	os.WriteFile(csv, []byte(strings.Replace(mustRead(t, csv), shas[2], shas[3], 1)), 0o644)
	c.must(0, "status", "//commits:all")
	if r := c.must(0, "status", "//commits:all"); strings.Contains(r.stderr, fromRecord) || !strings.Contains(r.stdout, "stale    //commits:c.b") {
		t.Fatalf("status of a stale target:\n%s%s", r.stdout, r.stderr)
	}
	if out := twice("validate"); !strings.Contains(out, "4 targets, 4 actions: ok") {
		t.Errorf("validate: %s", out)
	}
	c.must(0, "build", "//commits:all")
	twice("status", "//commits:all")
	// A deleted entry (clean) is seen.
	c.must(0, "clean", "--yes")
	if r := c.must(0, "status", "//commits:all"); strings.Contains(r.stderr, fromRecord) || !strings.Contains(r.stdout, "2 stale") {
		t.Fatalf("status after clean:\n%s%s", r.stdout, r.stderr)
	}
	// A new target.
	writeFiles(t, ws, map[string]string{"more/BUILD.hcl": "repo \"other\" {\n  url = \"../../repo\"\n}\n"})
	if out := twice("validate"); !strings.Contains(out, "5 targets, 5 actions: ok") {
		t.Errorf("validate: %s", out)
	}
}
