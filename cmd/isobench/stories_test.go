package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestUserStories walks the three stories of issue 6 through the shipped quickstart example,
// with the real binary, real git, real Python and a chat-completions server over real HTTP:
//
//  1. a researcher builds the dataset from a clean cache and gets every file a reader needs;
//  2. building again changes nothing: no action, no request, the same bytes;
//  3. editing the prompt regenerates exactly the generated tests and what measured them.
//
// Then two things the stories rely on: --rerun executes a recorded measurement again and keeps
// the old one in the history, and a fully cached build needs no API key.
//
// The subtests share one workspace and one cache, in order: each starts from what the one
// before left. Three samples a side instead of the example's ten keep it fast.
func TestUserStories(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "quickstart")
	copyTree(t, filepath.Join("..", "..", "examples", "quickstart"), ws)
	llm := newStoryLLM(t)
	c := newCLI(t, ws)
	c.env = append(c.env, "OPENAI_API_KEY="+storyAPIKey)
	vars := []string{"--var", "llm_base_url=" + llm.URL + "/v1", "--var", "samples=3"}
	build := func(extra ...string) storySummary {
		t.Helper()
		return parseStorySummary(t, c.must(0, append(append([]string{"build", "//dataset:all", "--json"}, vars...), extra...)...))
	}
	out := filepath.Join(ws, "isobench-out", "dataset", "quickstart")
	var files map[string][]byte // the dataset after the build before

	ok := t.Run("1_clean_build", func(t *testing.T) {
		s := build()
		s.expect(t, map[string]int{"repo": 1, "commit": 4, "environment": 8, "generate": 3, "measure": 7, "dataset": 1})
		if s.Failed+s.Skipped+s.Blocked != 0 || s.Cached != 0 {
			t.Errorf("a clean build: %d failed, %d skipped, %d blocked, %d cached; want all 0", s.Failed, s.Skipped, s.Blocked, s.Cached)
		}
		if n := llm.count(); n != 3 || s.Counters["requests"] != 3 {
			t.Errorf("the server got %d requests and the summary counts %d; want one per generated benchmark, 3",
				n, s.Counters["requests"])
		}
		files = snapshot(t, out)
		records := checkDataset(t, files, 7)
		checkRecords(t, records, llm)
		for name, data := range files {
			if bytes.Contains(data, []byte(storyAPIKey)) {
				t.Errorf("%s holds the API key", name)
			}
		}
	})
	if !ok {
		t.Fatal("the clean build failed; the stories after it build on it")
	}

	t.Run("2_null_build", func(t *testing.T) {
		before := llm.count()
		s := build()
		if s.Executed != 0 || s.Cached != 24 {
			t.Errorf("the second build executed %d actions and replayed %d; want 0 and 24\n%s", s.Executed, s.Cached, s.raw)
		}
		if n := llm.count() - before; n != 0 {
			t.Errorf("the second build sent %d requests; want none", n)
		}
		sameFiles(t, files, snapshot(t, out))
	})

	t.Run("3_prompt_change", func(t *testing.T) {
		tmpl := filepath.Join(ws, "generated", "perf_test.tmpl")
		old, err := os.ReadFile(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		edited := append(old, "Keep the script under 30 lines.\n"...)
		if err := os.WriteFile(tmpl, edited, 0o644); err != nil {
			t.Fatal(err)
		}

		// status says what will run and why before anything is sent.
		before := llm.count()
		status := c.must(0, append([]string{"status", "//dataset:all"}, vars...)...)
		checkStaleAfterPromptEdit(t, status.stdout)
		c.must(2, append([]string{"status", "--detailed-exitcode", "//dataset:all"}, vars...)...)
		// why on the generator explains the actions made from it, one test per commit.
		why := c.must(0, append([]string{"why", "//generated:llm"}, vars...)...)
		if strings.Count(why.stdout, "generate //generated:llm @") != 3 || !strings.Contains(why.stdout, "prompt") {
			t.Errorf("why //generated:llm after a prompt edit does not name its three tests and the prompt:\n%s", why.stdout)
		}
		if n := llm.count() - before; n != 0 {
			t.Errorf("status sent %d requests; it must never execute anything", n)
		}

		s := build()
		s.expect(t, map[string]int{"repo": 0, "commit": 0, "environment": 0, "generate": 3, "measure": 3, "dataset": 1})
		if n := llm.count() - before; n != 3 {
			t.Errorf("the server got %d requests after the prompt changed; want 3, one per generated test", n)
		}
		now := snapshot(t, out)
		oldRecs, newRecs := recordsByBenchmark(t, files), recordsByBenchmark(t, now)
		for name, rec := range newRecs {
			changed := !equalJSON(rec["efficiency_test"], oldRecs[name]["efficiency_test"])
			if generated := strings.HasPrefix(name, "//generated:"); changed != generated {
				t.Errorf("%s: test changed = %v after the prompt edit; want %v", name, changed, generated)
			}
		}
		files = now
	})

	t.Run("4_rerun_keeps_history", func(t *testing.T) {
		before := llm.count()
		s := build("--rerun", "//benchmarks:median")
		s.expect(t, map[string]int{"commit": 0, "environment": 0, "generate": 0, "measure": 1})
		if n := llm.count() - before; n != 0 {
			t.Errorf("rerunning a measurement sent %d requests", n)
		}
		stats := c.must(0, "cache", "stats").stdout
		m := regexp.MustCompile(`\(history (\d+)\)`).FindStringSubmatch(stats)
		if m == nil {
			t.Fatalf("cache stats shows no history count:\n%s", stats)
		}
		if n, _ := strconv.Atoi(m[1]); n < 1 {
			t.Errorf("cache stats: history %d after --rerun; the replaced measurement should be kept\n%s", n, stats)
		}
		files = snapshot(t, out)
		checkDataset(t, files, 7)
	})

	t.Run("5_cached_build_needs_no_key", func(t *testing.T) {
		before := llm.count()
		cmd := c.command(append([]string{"build", "//dataset:all", "--json"}, vars...)...)
		cmd.Env = without(cmd.Env, "OPENAI_API_KEY")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("a cached build without OPENAI_API_KEY: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
		s := parseStorySummary(t, result{stdout: stdout.String()})
		if s.Executed != 0 || s.Failed != 0 {
			t.Errorf("a cached build without a key executed %d and failed %d actions; want 0\n%s", s.Executed, s.Failed, s.raw)
		}
		if n := llm.count() - before; n != 0 {
			t.Errorf("a cached build without a key sent %d requests", n)
		}
		sameFiles(t, files, snapshot(t, out))
	})
}

// storyAPIKey is what the test server expects; it must never land in a dataset file.
const storyAPIKey = "test-key-5f3a9c"

// storySummary is the part of `build --json` the stories check.
type storySummary struct {
	Executed, Cached, Failed, Skipped, Blocked int
	ByKind                                     map[string]struct{ Executed, Cached, Failed int } `json:"by_kind"`
	Counters                                   map[string]int64
	raw                                        string
}

func parseStorySummary(t *testing.T, r result) storySummary {
	t.Helper()
	var s storySummary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("build --json printed no JSON summary: %v\n%s", err, r.stdout)
	}
	s.raw = r.stdout
	return s
}

// expect checks how many actions of each kind executed.
func (s storySummary) expect(t *testing.T, executed map[string]int) {
	t.Helper()
	for kind, want := range executed {
		if got := s.ByKind[kind].Executed; got != want {
			t.Errorf("%d %s actions executed; want %d\n%s", got, kind, want, s.raw)
		}
	}
}

// storyLLM speaks the chat-completions API. It answers every request with a test for the
// tinystats function the prompt's commit changed, and marks the script with a hash of the
// prompt, so that a changed prompt gives a changed script, as a model would.
type storyLLM struct {
	*httptest.Server
	mu       sync.Mutex
	requests int
	prompts  []string
}

func newStoryLLM(t *testing.T) *storyLLM {
	s := &storyLLM{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		s.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+storyAPIKey {
			t.Errorf("the request's Authorization header is %q; want the key from OPENAI_API_KEY", got)
			http.Error(w, `{"error":{"message":"bad key","type":"invalid_request_error"}}`, http.StatusUnauthorized)
			return
		}
		var req struct {
			Model    string `json:"model"`
			Messages []struct{ Role, Content string }
		}
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &req); err != nil {
			t.Errorf("the request body is not JSON: %v", err)
		}
		prompt := ""
		for _, m := range req.Messages {
			if m.Role == "user" {
				prompt = m.Content
			}
		}
		script, err := scriptFor(prompt)
		if err != nil {
			t.Error(err)
			http.Error(w, `{"error":{"message":"no commit","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.prompts = append(s.prompts, prompt)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-story", "object": "chat.completion", "created": 1767225600, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{
				"role": "assistant", "content": "Here is the test:\n\n```python\n" + script + "```\n"}}},
			"usage": map[string]any{"prompt_tokens": len(prompt) / 4, "completion_tokens": len(script) / 4, "total_tokens": (len(prompt) + len(script)) / 4},
		})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *storyLLM) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// storyWorkloads are the calls that show each performance commit (repo/COMMITS.md), by a word
// of the commit's subject.
var storyWorkloads = []struct{ word, input, call string }{
	{"median", "data = [rng.random() for _ in range(2000)]", "tinystats.median(data)\ntinystats.percentile(data, 90)"},
	{"words", "words = [\"w%d\" % i for i in range(300)]\ntext = \" \".join(rng.choice(words) for _ in range(15000))", "tinystats.word_counts(text)"},
	{"moving averages", "series = [rng.random() for _ in range(50000)]", "tinystats.moving_average(series, 200)"},
}

// scriptFor writes the test a model would: it reads the subject from the prompt's
// "Commit SHORT: SUBJECT" line.
func scriptFor(prompt string) (string, error) {
	m := regexp.MustCompile(`(?m)^Commit [0-9a-f]+: (.*)$`).FindStringSubmatch(prompt)
	if m == nil {
		return "", fmt.Errorf("the prompt names no commit:\n%s", prompt)
	}
	subject := m[1]
	sum := sha256.Sum256([]byte(prompt))
	for _, w := range storyWorkloads {
		if strings.Contains(strings.ToLower(subject), w.word) {
			return fmt.Sprintf("# Performance test for %q (prompt %s).\nimport random\nimport time\n\nimport tinystats\n\n"+
				"rng = random.Random(0)\n%s\nstart = time.perf_counter()\n%s\nprint(f\"Execution time: {time.perf_counter() - start:.6f}s\")\n",
				subject, hex.EncodeToString(sum[:6]), w.input, w.call), nil
		}
	}
	return "", fmt.Errorf("the test server knows no workload for the commit %q", subject)
}

// checkDataset checks the files of the dataset directory: the data in both formats, the card
// and a manifest whose digests match the files. It returns the JSONL records as a reader
// sees them, field names included.
func checkDataset(t *testing.T, files map[string][]byte, want int) []map[string]any {
	t.Helper()
	jsonl := files["data/train-00000-of-00001.jsonl"]
	var records []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(jsonl), []byte("\n")) {
		var r map[string]any
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("a JSONL line is not JSON: %v\n%s", err, line)
		}
		records = append(records, r)
	}
	if len(records) != want {
		t.Fatalf("the JSONL file holds %d records; want %d", len(records), want)
	}
	// That the Parquet rows equal the JSONL records is the dataset kind's own test
	// (rules/dataset, "parquet matches jsonl"); here, that the build wrote a Parquet file.
	if pq := files["data/train-00000-of-00001.parquet"]; !bytes.HasPrefix(pq, []byte("PAR1")) || !bytes.HasSuffix(pq, []byte("PAR1")) {
		t.Errorf("data/train-00000-of-00001.parquet is not a Parquet file (%d bytes)", len(pq))
	}
	card := string(files["README.md"])
	if !strings.Contains(card, "tinystats performance commits") || !strings.Contains(card, "base_performance") {
		t.Errorf("the dataset card lacks the description or the field table:\n%s", card)
	}
	// manifest.json as a reader of the dataset sees it.
	var manifest struct {
		Records int `json:"records"`
		Files   []struct {
			Path   string `json:"path"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if manifest.Records != want || len(manifest.Files) != 3 {
		t.Errorf("manifest.json: %d records and %d files; want %d and 3", manifest.Records, len(manifest.Files), want)
	}
	for _, f := range manifest.Files {
		sum := sha256.Sum256(files[f.Path])
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("manifest.json: the digest of %s does not match the file", f.Path)
		}
	}
	return records
}

// checkRecords checks what a researcher reads in each record.
func checkRecords(t *testing.T, records []map[string]any, llm *storyLLM) {
	t.Helper()
	heads := map[string]string{ // repo/COMMITS.md
		"median": "2e2fa710496f6628ecaf4a366b3afd4152417777", "word_counts": "450290a1a540859b21691802a7220d5cdf8c0abb",
		"moving_average": "bc2b86dc36037297faa6fbdff9da9464e1e865e0", "docs_control": "3d2d4da226e20af96d71b5f1cd999a020ac11586",
		"gen.sorted_median": "2e2fa710496f6628ecaf4a366b3afd4152417777", "gen.dict_word_counts": "450290a1a540859b21691802a7220d5cdf8c0abb",
		"gen.prefix_sum_moving_average": "bc2b86dc36037297faa6fbdff9da9464e1e865e0",
	}
	seen := map[string]bool{}
	for _, r := range records {
		label, _ := r["benchmark"].(string)
		name := label[strings.Index(label, ":")+1:]
		seen[name] = true
		for _, field := range []string{"base_commit", "commit_subject", "commit_message", "patch", "metric", "verdict", "verdict_reason"} {
			if s, _ := r[field].(string); s == "" {
				t.Errorf("%s: %s is empty", label, field)
			}
		}
		if r["head_commit"] != heads[name] || r["status"] != "ok" {
			t.Errorf("%s: head_commit %v, status %v; want %s, ok", label, r["head_commit"], r["status"], heads[name])
		}
		for _, side := range []string{"base_performance", "head_performance"} {
			if v, _ := r[side].([]any); len(v) != 3 {
				t.Errorf("%s: %s has %d samples; want 3 (--var samples=3)", label, side, len(v))
			}
		}
		tests, _ := r["efficiency_test"].([]any)
		test := ""
		if len(tests) > 0 {
			test, _ = tests[0].(string)
		}
		if len(tests) != 1 || !strings.Contains(test, "Execution time") {
			t.Errorf("%s: efficiency_test is not the script that was measured: %v", label, r["efficiency_test"])
		}
		speedup, _ := r["speedup"].(float64)
		verdict, _ := r["verdict"].(string)
		t.Logf("%s: speedup %.2f, verdict %s", label, speedup, verdict)
		switch {
		case name == "docs_control":
			// The negative control times a 3 ms call: with three samples, on two busy cores,
			// its ratio says nothing either way, so only its presence is checked.
		case name == "median" || name == "word_counts" || strings.HasPrefix(name, "gen.sorted") || strings.HasPrefix(name, "gen.dict"):
			// Each is more than ten times faster at head (repo/COMMITS.md): 1.5 holds on a
			// busy machine. Three samples cannot reach p < 0.01, so the verdict is noisy or,
			// with a future rule, improved; never unchanged or regressed.
			if speedup < 1.5 || (verdict != "improved" && verdict != "noisy") {
				t.Errorf("%s: speedup %.2f, verdict %s; want a speedup over 1.5, improved or noisy", label, speedup, verdict)
			}
		default: // moving averages: about five times faster, but the noisiest workload
			if speedup <= 1 {
				t.Errorf("%s: speedup %.2f; the commit made it faster", label, speedup)
			}
		}
		if strings.HasPrefix(name, "gen.") {
			gc, _ := r["generation_config"].(map[string]any)
			if r["test_kind"] != "generated" || gc == nil || gc["model"] != "gpt-5-mini" || gc["generator"] != "//generated:llm" {
				t.Errorf("%s: test_kind %v, generation_config %v; want generated by //generated:llm with gpt-5-mini", label, r["test_kind"], gc)
			}
			if !llm.served(test) {
				t.Errorf("%s: efficiency_test is not a script the server sent:\n%s", label, test)
			}
		} else if r["test_kind"] != "script" {
			t.Errorf("%s: test_kind %v; want script", label, r["test_kind"])
		}
	}
	if len(seen) != len(heads) {
		t.Errorf("the dataset holds the benchmarks %v; want %d distinct ones", seen, len(heads))
	}
}

// served says whether the server answered some request with this script.
func (s *storyLLM) served(script string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.prompts {
		if want, err := scriptFor(p); err == nil && want == script {
			return true
		}
	}
	return false
}

// checkStaleAfterPromptEdit reads `isobench status` after the template changed: the three
// generate actions are stale because their prompt changed, the measurements of the generated
// tests only because their input is, and no environment or commit is stale.
func checkStaleAfterPromptEdit(t *testing.T, out string) {
	t.Helper()
	generate, measure := 0, 0
	for _, line := range strings.Split(out, "\n") {
		action := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(action, "measure //generated:"):
			measure++
		case strings.HasPrefix(action, "generate "):
			generate++
			if _, reason, _ := strings.Cut(action, ": "); !strings.Contains(reason, "prompt") {
				t.Errorf("status gives a generate action a reason that does not name the prompt: %s", action)
			}
		case strings.HasPrefix(action, "environment "), strings.HasPrefix(action, "commit "), strings.HasPrefix(action, "repo "),
			strings.HasPrefix(action, "measure //benchmarks:"):
			t.Errorf("status lists an action the prompt cannot change: %s", action)
		}
	}
	if generate != 3 || measure != 3 || !strings.Contains(out, "stale    //dataset:quickstart") {
		t.Errorf("status lists %d stale generate and %d stale measure actions; want the dataset stale with 3 of each:\n%s",
			generate, measure, out)
	}
}

// recordsByBenchmark reads the JSONL records of a snapshot by benchmark label.
func recordsByBenchmark(t *testing.T, files map[string][]byte) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, line := range bytes.Split(bytes.TrimSpace(files["data/train-00000-of-00001.jsonl"]), []byte("\n")) {
		var r map[string]any
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		out[r["benchmark"].(string)] = r
	}
	return out
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// snapshot reads every file under dir, by slash path.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatalf("reading the dataset directory: %v", err)
	}
	return files
}

// sameFiles checks that two snapshots hold the same files with the same bytes.
func sameFiles(t *testing.T, want, got map[string][]byte) {
	t.Helper()
	var names []string
	for name := range want {
		names = append(names, name)
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		w, inWant := want[name]
		g, inGot := got[name]
		switch {
		case !inGot:
			t.Errorf("%s is gone", name)
		case !inWant:
			t.Errorf("%s appeared", name)
		case !bytes.Equal(w, g):
			t.Errorf("%s changed (%d bytes, was %d)", name, len(g), len(w))
		}
	}
}

// copyTree copies the example workspace, leaving out outputs a demo run may have left.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && d.Name() == "isobench-out" {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copying the example: %v", err)
	}
}

// without drops a variable from an environment list.
func without(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
