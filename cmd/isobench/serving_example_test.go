package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestServingExample builds the shipped serving example end to end: for every run a real
// tinyserve server at its commit, a real client streaming over the sandbox's loopback, the
// result file read, the server log kept, and the dataset written. The runs are fewer and
// shorter than the example's defaults (three a side, three requests per client run).
func TestServingExample(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "serving")
	copyTree(t, filepath.Join("..", "..", "examples", "serving"), ws)
	// docs_control has a variant too, a patch that adds a file: its runs start servers of
	// their own, whose logs its record and the report keep beside the benchmark's.
	addVariant(t, ws)
	c := newCLI(t, ws)
	r := c.must(0, "build", "//dataset:serving", "--var", "samples=3", "--var", "num_prompts=3")
	for _, want := range []string{"//benchmarks:kv_cache", "//benchmarks:docs_control"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("the build's table lacks %s:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	log := c.must(0, "log", "//benchmarks:kv_cache").stdout
	if !strings.Contains(log, "server on port") || !strings.Contains(log, "Median TPOT (ms):") {
		t.Errorf("the log of kv_cache:\n%s", log)
	}

	// The server logs, replayed from the cache: one run's, a side's, none of a run never made.
	c.must(0, "build", "//benchmarks:kv_cache", "--var", "samples=3", "--var", "num_prompts=3")
	one := c.must(0, "log", "//benchmarks:kv_cache", "--server", "--side", "head", "--run", "2").stdout
	if strings.Count(one, "==> ") != 1 || !strings.Contains(one, "server-log.head.2 <==") ||
		!strings.Contains(one, "loading model tiny") || !strings.Contains(one, "serving on http://") {
		t.Errorf("the server log of head's run 2:\n%s", one)
	}
	listed := c.must(0, "log", "//benchmarks:kv_cache", "--server", "--side", "base", "--list").stdout
	if !strings.Contains(listed, "server-log.base.1\n    server-log.base.2\n    server-log.base.3\n") || strings.Contains(listed, "head") {
		t.Errorf("the server logs of base, listed:\n%s", listed)
	}
	if r := c.run("log", "//benchmarks:kv_cache", "--server", "--run", "9"); r.code == 0 || !strings.Contains(r.stderr, "kept a server log of any side, run 9") {
		t.Errorf("a run that never was: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// status says where each serving benchmark's server logs are, and again when a second
	// status could be answered from the record of the first (cmd/isobench/record.go).
	for range 2 {
		if st := c.must(0, "status", "//benchmarks:kv_cache", "--var", "samples=3", "--var", "num_prompts=3").stdout; !strings.Contains(st,
			"server logs of 6 runs: isobench log //benchmarks:kv_cache --server") {
			t.Errorf("status of kv_cache:\n%s", st)
		}
	}

	// The report links every session's server log, as a file beside the page: the page and
	// its directory, copied elsewhere, keep their links.
	c.must(0, "report", "//dataset:serving")
	copied := filepath.Join(t.TempDir(), "copied")
	copyTree(t, filepath.Join(ws, "isobench-out", "dataset", "serving"), copied)
	page, err := os.ReadFile(filepath.Join(copied, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`class="server-log" href="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(links) != 12+9 { // three runs a side, two benchmarks, and the variant's unit (base, head, notes)
		t.Errorf("the report links %d server logs, want 21", len(links))
	}
	if !regexp.MustCompile(`server logs: <a class="server-log" href="server-logs/[0-9a-f]+\.txt" title="ready after [0-9.]+ s, 2 client runs">base 1</a>`).Match(page) ||
		!strings.Contains(string(page), ">notes 3</a>") {
		t.Errorf("the report links no server log beside the variant")
	}
	for _, l := range links {
		if b, err := os.ReadFile(filepath.Join(copied, filepath.FromSlash(l[1]))); err != nil || !strings.Contains(string(b), "serving on http://") {
			t.Errorf("the server log %s the report links: %v\n%s", l[1], err, b)
		}
	}

	data, err := os.ReadFile(filepath.Join(ws, "isobench-out", "dataset", "serving", "data", "train-00000-of-00001.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]map[string]any{}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		name, _ := rec["benchmark"].(string)
		records[name] = rec
	}
	kv := records["//benchmarks:kv_cache"]
	if kv == nil {
		t.Fatalf("no record of kv_cache among %d", len(records))
	}
	if kv["server_command"] != "python server.py --port ${ISOBENCH_PORT} --model tiny" || kv["benchmark_mode"] != "serving" ||
		kv["benchmark_model"] != "tiny" || kv["metric"] != "tpot_median" || kv["unit"] != "ms" {
		t.Errorf("kv_cache's record: server %v, mode %v, model %v, metric %v %v", kv["server_command"], kv["benchmark_mode"],
			kv["benchmark_model"], kv["metric"], kv["unit"])
	}
	// The KV cache cuts the time per output token from ~5.5 ms to ~2.2 ms: far beyond noise,
	// even on a loaded machine. TTFT, the prefill, does not change.
	if s, _ := kv["speedup"].(float64); s < 1.5 {
		t.Errorf("kv_cache's TPOT speedup is %v, want well above 1.5", kv["speedup"])
	}
	if sessions, _ := kv["server_sessions"].([]any); len(sessions) != 6 {
		t.Errorf("kv_cache's server sessions: %v", kv["server_sessions"])
	} else if s, _ := sessions[0].(map[string]any); s["side"] == nil || s["run"] != 1.0 || s["log"] == nil || s["ready_seconds"] == nil {
		t.Errorf("kv_cache's first server session: %v", s)
	}
	if docs := records["//benchmarks:docs_control"]; docs == nil || docs["metric"] != "tpot_median" {
		t.Errorf("docs_control's record: %v", docs)
	} else if s, _ := docs["speedup"].(float64); s < 0.8 || s > 1.25 {
		t.Errorf("the README commit's TPOT speedup is %v, want about 1", docs["speedup"])
	}
	variants, _ := records["//benchmarks:docs_control"]["variants"].([]any)
	if len(variants) != 1 {
		t.Fatalf("docs_control's variants: %v", variants)
	}
	sides := map[any]int{}
	sessions, _ := variants[0].(map[string]any)["server_sessions"].([]any)
	for _, s := range sessions {
		if s, _ := s.(map[string]any); s["log"] != nil && s["ready_seconds"] != nil {
			sides[s["side"]]++
		}
	}
	if sides["notes"] != 3 || sides["base"] != 3 || sides["head"] != 3 {
		t.Errorf("the variant's server sessions, by side: %v\n%v", sides, sessions)
	}
}

// addVariant gives the serving example's docs_control a variant whose patch adds a file.
func addVariant(t *testing.T, ws string) {
	t.Helper()
	dir := filepath.Join(ws, "benchmarks")
	patch := "diff --git a/NOTES.md b/NOTES.md\nnew file mode 100644\n--- /dev/null\n+++ b/NOTES.md\n@@ -0,0 +1 @@\n+A note.\n"
	build, err := os.ReadFile(filepath.Join(dir, "BUILD.hcl"))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "notes.diff"), []byte(patch), 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	withVariant := strings.Replace(string(build), `benchmark "docs_control" {`, `benchmark "docs_control" {
  variants = { notes = file("notes.diff") }`, 1)
	if err := os.WriteFile(filepath.Join(dir, "BUILD.hcl"), []byte(withVariant), 0o644); err != nil {
		t.Fatal(err)
	}
}
