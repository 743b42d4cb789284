package generator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// scriptForPrompt answers with a valid script that depends on the prompt, the way a model's
// answer does: a changed prompt gives a changed script.
func scriptForPrompt(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
	msgs := body["messages"].([]any)
	prompt := msgs[len(msgs)-1].(map[string]any)["content"].(string)
	answer(w, fmt.Sprintf("```python\n# written for a prompt of %d characters\nprint('metric: 1.0')\n```", len(prompt)), "stop")
}

// threeCommits is a workspace of three commits, each with a benchmark, and a generator whose
// prompt is a template file; only the commit touching pool.py gets the "Focus" line.
func threeCommits(server *llmServer, generator string) map[string]string {
	files := map[string]string{
		"generators/BUILD.hcl": fmt.Sprintf(`generator "llm" {
  base_url = %q
  model    = "gpt-4.1-mini"
  prompt   = templatefile("perf.tmpl", { commit = commit })
%s}
`, server.URL+"/v1", generator),
		"generators/perf.tmpl": `Write a performance test for "${commit.subject}".
%{ if contains(commit.files, "pool.py") }Focus on the block pool.
%{ endif }Diff:
${commit.diff}`,
	}
	var commits, benches strings.Builder
	for i, c := range []struct{ name, file string }{{"pool", "pool.py"}, {"sched", "sched.py"}, {"attn", "attn.py"}} {
		fmt.Fprintf(&commits, "commit %q {\n  head = %q\n  subject = \"Speed up %s\"\n  files = [%q]\n  diff = \"diff --git a/%s b/%s\\n+x = %d\\n\"\n}\n",
			c.name, strings.Repeat(fmt.Sprint(i+1), 40), c.name, c.file, c.file, c.file, i)
		fmt.Fprintf(&benches, "bench %q {\n  commit = \"//commits:%s\"\n  generator = \"//generators:llm\"\n}\n", c.name, c.name)
	}
	files["commits/BUILD.hcl"] = commits.String()
	files["benchmarks/BUILD.hcl"] = benches.String()
	return files
}

func TestCachedBuildMakesNoRequestAndNeedsNoKey(t *testing.T) {
	server := newLLMServer(t, scriptForPrompt)
	t.Setenv("GEN_TEST_CACHED", "sk-cached")
	w := newWorkspace(t, threeCommits(server, "  api_key_env = \"GEN_TEST_CACHED\"\n"))
	r := w.build(engine.Options{})
	if r.Summary.Failed != 0 || server.count() != 3 || w.measured.Load() != 3 {
		t.Fatalf("first build: %+v, %d requests, %d measured", r.Summary.Counts, server.count(), w.measured.Load())
	}
	if c := r.Summary.Counters; c["requests"] != 3 || c["tokens_in:gpt-4.1-mini"] != 300 || c["tokens_out:gpt-4.1-mini"] != 120 {
		t.Errorf("counters = %v", c)
	}

	os.Unsetenv("GEN_TEST_CACHED") // t.Setenv restores it after the test
	r = w.build(engine.Options{})
	if server.count() != 3 {
		t.Errorf("the second build made %d requests", server.count()-3)
	}
	if g := r.Summary.ByMnemonic["generate"]; g == nil || g.Cached != 3 || g.Executed != 0 || r.Summary.Failed != 0 {
		t.Errorf("second build: %+v, generate %+v", r.Summary.Counts, g)
	}
	if r.Summary.Counters["requests"] != 0 || w.measured.Load() != 3 {
		t.Errorf("second build: counters %v, %d measured", r.Summary.Counters, w.measured.Load())
	}
}

func TestPromptEditRegeneratesExactlyTheAffectedCommits(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, scriptForPrompt)
	files := threeCommits(server, "")
	w := newWorkspace(t, files)
	w.build(engine.Options{})
	if server.count() != 3 || w.measured.Load() != 3 {
		t.Fatalf("first build: %d requests, %d measured", server.count(), w.measured.Load())
	}

	// The edit is inside the `if`: only the pool commit's rendered prompt changes.
	w.Write(map[string]string{"generators/perf.tmpl": strings.Replace(files["generators/perf.tmpl"],
		"Focus on the block pool.", "Focus on the free-block queue of the pool.", 1)})

	// status sees it without a request: one generation is stale, because of its user message.
	r := w.build(engine.Options{Inspect: true})
	var stale []string
	for _, o := range r.generates() {
		if o.Stale {
			stale = append(stale, o.Action.ID)
		}
	}
	if len(stale) != 1 || !strings.Contains(stale[0], "//commits:pool") || server.count() != 3 {
		t.Errorf("stale generations %q, %d requests", stale, server.count())
	}

	r = w.build(engine.Options{})
	if server.count() != 4 {
		t.Errorf("the prompt edit made %d requests, want 1", server.count()-3)
	}
	if g := r.Summary.ByMnemonic["generate"]; g.Executed != 1 || g.Cached != 2 {
		t.Errorf("generate: %+v", g)
	}
	if w.measured.Load() != 4 {
		t.Errorf("%d measurements ran again, want 1 (the new script's)", w.measured.Load()-3)
	}
	for _, o := range r.generates() {
		if strings.Contains(o.Action.ID, "//commits:pool") && !strings.Contains(o.Desc, "prompt sha256:") {
			t.Errorf("the key does not name the user message:\n%s", o.Desc)
		}
	}
}

func TestIdenticalScriptLeavesMeasurementCached(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, scriptForPrompt)
	w := newWorkspace(t, oneCommit(server, "  model = \"m\"\n  prompt = \"p\"\n"))
	w.build(engine.Options{})
	rerun, err := engine.ParsePattern("//generators:llm", "")
	if err != nil {
		t.Fatal(err)
	}
	r := w.build(engine.Options{Rerun: []engine.Pattern{rerun}})
	if server.count() != 2 || r.Summary.ByMnemonic["generate"].Executed != 1 {
		t.Fatalf("the rerun made %d requests", server.count()-1)
	}
	if w.measured.Load() != 1 || r.Summary.ByMnemonic["measure"].Cached != 1 {
		t.Errorf("the same script measured again: %d runs, measure %+v", w.measured.Load(), r.Summary.ByMnemonic["measure"])
	}
}

func TestEndpointConcurrencyAndRate(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, func(w http.ResponseWriter, r *http.Request, n int, body map[string]any) {
		time.Sleep(30 * time.Millisecond) // long enough for requests to overlap if allowed
		scriptForPrompt(w, r, n, body)
	})
	w := newWorkspace(t, threeCommits(server, "  concurrency = 1\n  requests_per_minute = 1200\n"))
	if r := w.build(engine.Options{Jobs: 4}); r.Summary.Failed != 0 {
		t.Fatalf("build: %+v", r.Summary.Failures)
	}
	if server.count() != 3 || server.maxInFlight != 1 {
		t.Errorf("%d requests, %d at once at most, want 3 and 1", server.count(), server.maxInFlight)
	}
	for i := 1; i < server.count(); i++ {
		// 1200 a minute is one every 50 ms.
		if gap := server.request(i).at.Sub(server.request(i - 1).at); gap < 45*time.Millisecond {
			t.Errorf("requests %d and %d were %s apart", i, i+1, gap)
		}
	}
}

func TestLongDiffIsCutInThePrompt(t *testing.T) {
	t.Parallel()
	server := newLLMServer(t, alwaysGood)
	diff := "diff --git a/a.py b/a.py\n+a = 1\n" + "diff --git a/b.py b/b.py\n" + strings.Repeat("+b = 2\n", 20)
	files := oneCommit(server, "  model = \"m\"\n  max_diff_chars = 64\n"+
		"  prompt = \"${commit.diff}%{ if commit.diff_cut }(the diff had ${commit.diff_bytes} bytes)%{ endif }\"\n")
	files["commits/BUILD.hcl"] = strings.Replace(files["commits/BUILD.hcl"], `"diff --git a/pool.py b/pool.py\n+fast = True\n"`, fmt.Sprintf("%q", diff), 1)
	w := newWorkspace(t, files)
	o := w.build(engine.Options{}).only(t)
	mustOK(t, o)
	if !w.generation(o).PromptCut {
		t.Error("the generation does not record the cut")
	}
	var msgs []struct{ Role, Content string }
	if err := json.Unmarshal(w.Output(o, MessagesOutput), &msgs); err != nil {
		t.Fatal(err)
	}
	want := "diff --git a/a.py b/a.py\n+a = 1\ndiff --git a/b.py b/b.py\n+b = 2\n" +
		fmt.Sprintf("[isobench: diff cut to its first 64 of %d bytes (max_diff_chars); not shown in full: b.py]\n", len(diff)) +
		fmt.Sprintf("(the diff had %d bytes)", len(diff))
	if len(msgs) != 1 || msgs[0].Content != want {
		t.Errorf("rendered prompt:\n%q\nwant:\n%q", msgs, want)
	}
	var body struct{ Messages []struct{ Content string } }
	json.Unmarshal(server.request(0).body, &body)
	if body.Messages[0].Content != want {
		t.Errorf("the prompt sent differs from the one recorded")
	}
	if script := w.Output(o, artifact.ScriptOutput); len(script) == 0 {
		t.Error("no script")
	}
}

func TestCutDiff(t *testing.T) {
	diff := "diff --git a/x.py b/x.py\n+1\n" + "diff --git a/y.py b/y.py\n+2\n+3\n" + "diff --git a/z.py b/z.py\n+4\n"
	if got, cut := cutDiff(diff, 0); cut || got != diff {
		t.Error("a budget of 0 cut the diff")
	}
	if got, cut := cutDiff(diff, len(diff)); cut || got != diff {
		t.Error("a diff within its budget was cut")
	}
	got, cut := cutDiff(diff, 40)
	want := "diff --git a/x.py b/x.py\n+1\n" +
		fmt.Sprintf("[isobench: diff cut to its first 28 of %d bytes (max_diff_chars); not shown in full: y.py, z.py]\n", len(diff))
	if !cut || got != want {
		t.Errorf("cutDiff(40) =\n%q\nwant\n%q", got, want)
	}
	// A single line longer than the budget is cut between characters, never inside one.
	got, _ = cutDiff("+é"+strings.Repeat("é", 10), 4)
	if !strings.HasPrefix(got, "+é\n[isobench: diff cut to its first 3 of") {
		t.Errorf("cut inside a line: %q", got)
	}
}

func TestCheckDiagnostics(t *testing.T) {
	server := newLLMServer(t, alwaysGood)
	files := oneCommit(server, "  model = \"m\"\n  prompt = \"p\"\n  top_p = 1.5\n  api_type = \"azure\"\n")
	// samples is checked by the schema, and a target whose attribute the schema refuses is
	// not decoded, so the schema's check is made on a target of its own.
	files["generators/BUILD.hcl"] += "generator \"other\" {\n  model = \"m\"\n  prompt = \"p\"\n  samples = 0\n}\n"
	w := newWorkspace(t, files)
	diags := w.Diagnostics()
	var text string
	for _, d := range diags {
		text += d.Detail + "\n"
	}
	for _, want := range []string{"samples must be at least 1", "top_p must be greater than 0 and at most 1", "needs api_version"} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics %q do not say %q", text, want)
		}
	}
	if got := len(diags); got != 3 {
		t.Errorf("%d diagnostics, want 3: %s", got, text)
	}
}
