package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

// sampleRecords are records as a dataset's JSONL holds them: they go through JSON and
// ReadJSONL, the path the command takes.
func sampleRecords(t *testing.T) ([]Record, map[string][]byte) {
	t.Helper()
	hw := &Hardware{Class: "4f1c2a9b8e7d6c5b", CPUModel: "AMD EPYC 9454", CPUCount: 16, GPUCount: 1,
		GPUName: ptr("NVIDIA H100 80GB HBM3"), GPUMemMiB: ptr(int64(81559)), ComputeCap: ptr("9.0"), Driver: ptr("580.159.04"), CUDA: ptr("13.0")}
	logs := map[string][]byte{}
	actions := func(name string, status string, withLog bool) []ActionRef {
		commitLog := "c0mm1t"
		logs[commitLog] = []byte("resolved head 98f47f2a\n")
		refs := []ActionRef{{ID: "commit //commits:x", Kind: "commit", Label: "//commits:x", Key: ptr("k1"), Status: "ok", Log: ptr(commitLog)}}
		if withLog {
			digest := "m-" + name
			logs[digest] = []byte(fmt.Sprintf("running %s\n<script>alert(1)</script>\nTraceback: & done\n", name))
			refs = append(refs, ActionRef{ID: "measure //benchmarks:" + name, Kind: "measure", Label: "//benchmarks:" + name, Key: ptr("k-" + name), Status: status, Log: ptr(digest)})
		}
		return refs
	}
	samples := func(vals ...float64) []*float64 {
		out := make([]*float64, len(vals))
		for i := range vals {
			out[i] = &vals[i]
		}
		return out
	}
	ok := func(name, verdict string, speedup, lo, hi float64) Record {
		return Record{Benchmark: "//benchmarks:" + name, Commit: "//commits:x", BaseCommit: ptr("8c1e77fb585c4f42783a3d88c1efc7c9e15fd89f"),
			HeadCommit: ptr("98f47f2a4032f8c395268de80858c64ffcfc60fa"), CommitSubject: ptr("[Perf] " + name + " <fast>"),
			Metric: ptr("latency"), Unit: ptr("ms"), Direction: ptr("lower"),
			BasePerformance: samples(10, 10.4, 9.9, 10.1), HeadPerformance: samples(10/speedup, 10.2/speedup, 9.8/speedup, 10/speedup),
			BaseMedian: ptr(10.0), HeadMedian: ptr(10 / speedup), Speedup: &speedup, CILow: &lo, CIHigh: &hi, PValue: ptr(0.004),
			PerformanceImprovement: ptr((1 - 1/speedup) * 100), Verdict: ptr(verdict), Status: "ok", TestPassed: ptr(true),
			AffectedAPIs: []string{"vllm.attention.ops.FlashAttention.forward"}, Hardware: hw,
			RepoURL: ptr("https://github.com/vllm-project/vllm.git"), TestKind: ptr("generated"),
			EfficiencyTest: []string{"import time\nprint('Execution time: 0.1s')\n"},
			GPUTelemetry:   &GPUTelemetry{Readings: 8, SMClockMinMHz: 1755, SMClockMaxMHz: 1980, TemperatureMaxC: 61, ThrottleReasons: []string{}},
			Provenance:     Provenance{IsobenchVersion: "v0.1.0", BuildTime: ptr("2026-11-23T20:00:00Z"), Actions: actions(name, "ok", true)}}
	}
	records := []Record{
		ok("fast", "improved", 1.25, 1.1, 1.4),
		ok("slow", "regressed", 0.8, 0.7, 0.9),
		ok("wobbly", "noisy", 1.02, 0.8, 1.3),
		{Benchmark: "//benchmarks:broken", Status: "failed", FailureClass: ptr("base_failed"), FailureMessage: ptr("The test failed at base."),
			TestPassed: ptr(false), BasePerformance: samples(3), Hardware: hw,
			Provenance: Provenance{IsobenchVersion: "v0.1.0", Actions: actions("broken", "failed", true)}},
		{Benchmark: "//benchmarks:nowhl", Status: "blocked", FailureClass: ptr("no_wheel"), FailureMessage: ptr("blocked by environment: no wheel"),
			Provenance: Provenance{IsobenchVersion: "v0.1.0", Actions: actions("nowhl", "blocked", false)}},
		{Benchmark: "//benchmarks:nogpu", Status: "skipped", FailureClass: ptr("skipped"),
			Provenance: Provenance{IsobenchVersion: "v0.1.0", Actions: append(actions("nogpu", "skipped", false),
				ActionRef{ID: "measure //benchmarks:nogpu", Kind: "measure", Status: "skipped", Log: ptr("gone")})}},
	}
	var jsonl bytes.Buffer
	for _, r := range records {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		jsonl.Write(append(line, '\n'))
	}
	back, err := ReadJSONL(&jsonl)
	if err != nil {
		t.Fatal(err)
	}
	return back, logs
}

func render(t *testing.T) string {
	t.Helper()
	records, logs := sampleRecords(t)
	var buf bytes.Buffer
	if err := renderReport(&buf, "//dataset:vllm", records, logs); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestReportIsSelfContained(t *testing.T) {
	page := render(t)
	// Every link and source stays inside the page. The SVG namespace URI is a name, not a
	// fetch, and is the only URL allowed.
	// Links to a commit on its forge are for the reader to follow; the page loads nothing
	// from them.
	forge := regexp.MustCompile(`<a class="forge" href="https://github\.com/[^"]+/commit/[0-9a-f]{40}">`)
	page = forge.ReplaceAllString(page, "")
	for _, m := range regexp.MustCompile(`(?i)\b(src|href|action|srcset|poster)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[2], "#") {
			t.Errorf("the page refers outside itself: %s", m[0])
		}
	}
	if n := strings.Count(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), "http"); n != 0 {
		t.Errorf("the page mentions %d URLs besides the SVG namespace", n)
	}
	for _, bad := range []string{"@import", "url(", "<link", "<iframe"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page loads something: %q", bad)
		}
	}
}

func TestReportContent(t *testing.T) {
	page := render(t)
	for _, want := range []string{
		`<tr class="outcome-improved"><td>improved</td><td class="num">1</td>`,
		`<tr class="outcome-regressed"><td>regressed</td><td class="num">1</td>`,
		`<tr class="outcome-unchanged"><td>unchanged</td><td class="num">0</td>`,
		`<tr class="outcome-noisy"><td>noisy</td><td class="num">1</td>`,
		`<tr class="outcome-failed"><td>failed</td><td class="num">1</td><td><code>base_failed</code> 1</td>`,
		`<tr class="outcome-blocked"><td>blocked</td><td class="num">1</td><td><code>no_wheel</code> 1</td>`,
		`<tr class="outcome-skipped"><td>skipped</td><td class="num">1</td>`,
		`NVIDIA H100 80GB HBM3`, `580.159.04`, // hardware
		`1.250× [1.100, 1.400]`,                 // speedup with its interval
		`[Perf] fast &lt;fast&gt;`,              // escaped subject
		`&lt;script&gt;alert(1)&lt;/script&gt;`, // escaped log
		`This log is not in the cache any more.`,
		`<a class="forge" href="https://github.com/vllm-project/vllm/commit/98f47f2a4032f8c395268de80858c64ffcfc60fa">`,
		`head is 1.25× faster`, `head is 1.25× slower`, // a factor a reader compares at a glance
		`<summary>the generated test (2 lines)</summary>`,
		`latency (ms) · 4 base and 4 head runs`, // the strip plot's title
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "1.02× faster") || strings.Contains(page, "1.02× slower") {
		t.Error("a noisy benchmark's speedup is stated as a change")
	}
	if strings.Contains(page, "<script>alert(1)") {
		t.Error("a log's content reached the page unescaped")
	}
	if n := strings.Count(page, `class="mark"`); n != 3 {
		t.Errorf("the plot has %d speedup marks, want 3 (one per compared benchmark)", n)
	}
	if n := strings.Count(page, `<svg class="dist"`); n != 4 {
		t.Errorf("the page has %d sample distributions, want 4 (every record with samples)", n)
	}
	// Every link to a log lands on an embedded log, and every log links back to its records.
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(` id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		ids[m[1]] = true
	}
	links := regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(page, -1)
	logLinks := 0
	for _, m := range links {
		if !ids[m[1]] {
			t.Errorf("the link #%s leads nowhere", m[1])
		}
		if strings.HasPrefix(m[1], "log-") {
			logLinks++
		}
	}
	if logLinks != 11 {
		t.Errorf("the page has %d links to logs, want 11", logLinks)
	}
	if !strings.Contains(page, `<details id="log-m-fast">`) || !strings.Contains(page, `(for <a href="#rec-0">//benchmarks:fast</a>)`) {
		t.Error("the measure log of fast is not embedded with a link back to its record")
	}
	if again := render(t); again != page {
		t.Error("the same records rendered twice differ")
	}
}

func TestLogDigests(t *testing.T) {
	records, _ := sampleRecords(t)
	got := logDigests(records)
	want := []string{"c0mm1t", "m-fast", "m-slow", "m-wobbly", "m-broken", "gone"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("logDigests = %q, want %q", got, want)
	}
}

// TestCardWording: forge links, factors instead of large percentages, log names with their
// side, and affected APIs folded beyond a few.
func TestCardWording(t *testing.T) {
	sha := "98f47f2a4032f8c395268de80858c64ffcfc60fa"
	for repo, want := range map[string]string{
		"https://github.com/vllm-project/vllm.git": "https://github.com/vllm-project/vllm/commit/" + sha,
		"git@github.com:vllm-project/vllm.git":     "https://github.com/vllm-project/vllm/commit/" + sha,
		"https://gitlab.com/group/sub/proj":        "https://gitlab.com/group/sub/proj/-/commit/" + sha,
		"https://www.github.com/a/b/":              "https://github.com/a/b/commit/" + sha,
		"git://github.com/a/b.git":                 "https://github.com/a/b/commit/" + sha,
		"https://git.sr.ht/~sircmpwn/hare":         "https://git.sr.ht/~sircmpwn/hare/commit/" + sha,
		"https://github.com/a/b/tree/main":         "",
		"https://bitbucket.org/team/repo.git":      "https://bitbucket.org/team/repo/commits/" + sha,
		"../repo/tinystats.bundle":                 "",
		"https://git.internal.example/x/y.git":     "",
	} {
		if got := commitURL(&repo, &sha); got != want {
			t.Errorf("commitURL(%q) = %q, want %q", repo, got, want)
		}
	}
	r := &Record{Speedup: ptr(496.268), Verdict: ptr("improved"),
		VerdictReason: ptr("Head is 49526.8% better: the 95% interval of the speedup is [332.5, 582.3].")}
	if got := reason(r); got != "Head is 496× faster: the 95% interval of the speedup is [332.5, 582.3]." {
		t.Errorf("reason = %q", got)
	}
	r = &Record{Speedup: ptr(1.2), Verdict: ptr("improved"), VerdictReason: ptr("Head is 16.7% better: ...")}
	if got := reason(r); got != "Head is 16.7% better: ..." {
		t.Errorf("a small change is kept in percent: %q", got)
	}
	for id, want := range map[string]string{
		"environment //envs:x @ commit //commits:y base": "environment (base)",
		"generate //gen:x @ commit //commits:y head":     "generate (head)",
		"measure //benchmarks:x":                         "measure",
	} {
		if got := logName(ActionRef{ID: id, Kind: strings.Fields(id)[0]}); got != want {
			t.Errorf("logName(%q) = %q, want %q", id, got, want)
		}
	}
	var apis []string
	for i := 0; i < 40; i++ {
		apis = append(apis, fmt.Sprintf("pkg.mod.f%d", i))
	}
	var buf bytes.Buffer
	if err := renderReport(&buf, "//dataset:x", []Record{{Benchmark: "//b:x", Status: "ok", AffectedAPIs: apis}}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<summary>and 32 more</summary>`) {
		t.Error("40 affected APIs are not folded after 8")
	}
}
