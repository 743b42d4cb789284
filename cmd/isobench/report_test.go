package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIReport writes the report of a built dataset, and refuses with a reason a pattern
// that names no dataset, -o with several, and a dataset that is not built.
func TestCLIReport(t *testing.T) {
	ws, _ := commitWorkspace(t)
	writeFiles(t, ws, map[string]string{
		"benchmarks/BUILD.hcl": "benchmark \"quick\" {\n  commit = \"//commits:sum\"\n" + pyCommand(quick) + "  samples = 2\n  warmup = 0\n}\n",
		"datasets/BUILD.hcl": "dataset \"a\" {\n  benchmarks = [\"//benchmarks:all\"]\n}\n\n" +
			"dataset \"b\" {\n  benchmarks = [\"//benchmarks:all\"]\n  formats = [\"jsonl\"]\n}\n",
	})
	c := newCLI(t, ws)

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report"}, exitUsage, "report takes a pattern naming datasets"},
		{[]string{"report", "//commits:all", "//benchmarks:all"}, exitUsage, "the pattern names no dataset target"},
		{[]string{"report", "-o", "page.html", "//datasets:all"}, exitUsage, "-o names one file, but the pattern names several datasets"},
		{[]string{"report", "//datasets:a"}, exitFailed, "//datasets:a has never been built here\nhint: isobench build //datasets:a"},
	} {
		if r := c.must(tt.code, tt.args...); !strings.Contains(r.stderr, tt.want) {
			t.Errorf("isobench %s says\n%s\nwant it to say %q", strings.Join(tt.args, " "), r.stderr, tt.want)
		}
	}

	c.must(0, "build", "//datasets:a")
	r := c.must(0, "report", "//commits:all", "//datasets:a") // the commits are left out
	page := filepath.Join(ws, "isobench-out", "datasets", "a", "report.html")
	if r.stdout != "//datasets:a: "+page+"\n" {
		t.Errorf("report printed %q, want the page of //datasets:a at %s", r.stdout, page)
	}
	html := mustRead(t, page)
	if !strings.Contains(html, "<title>//datasets:a — isobench report</title>") || !strings.Contains(html, "//benchmarks:quick") {
		t.Errorf("the page is not the report of //datasets:a with //benchmarks:quick:\n%s", html)
	}

	other := filepath.Join(t.TempDir(), "elsewhere", "a.html")
	c.must(0, "report", "-o", other, "//datasets:a")
	if got := mustRead(t, other); got != html {
		t.Error("-o wrote another page than the default path holds")
	}

	// A dataset whose inputs changed since its build is reported as that build left it,
	// saying so, rather than refused with a hint that changes nothing.
	writeFiles(t, ws, map[string]string{"datasets/BUILD.hcl": "dataset \"a\" {\n  benchmarks = [\"//benchmarks:all\"]\n  formats = [\"jsonl\"]\n}\n"})
	r = c.must(0, "report", "-o", other, "//datasets:a")
	if !strings.Contains(r.stderr, "//datasets:a is not up to date; the report shows its last build") {
		t.Errorf("a stale dataset's report does not say it is the last build's:\n%s", r.stderr)
	}
	if got := mustRead(t, other); got != html {
		t.Error("the stale dataset's report is not the page of its last build")
	}
}
