package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRecordedBenchmarkAndDataset checks that a workspace of a benchmark (without an
// environment, so the machine's python3 is in its key) and a dataset is answered from its
// record once built, prints what the full path prints (the result table and --json included),
// and that each input the record stands on beyond the HCL sends the next build down the
// full path: a dataset file deleted or edited, another python3 on PATH.
func TestRecordedBenchmarkAndDataset(t *testing.T) {
	ws, _ := commitWorkspace(t)
	writeFiles(t, ws, map[string]string{
		"benchmarks/BUILD.hcl": "benchmark \"fast\" {\n  commit  = \"//commits:sum\"\n" +
			"  command = \"python3 -c 'print(\\\"Execution time: 0.01s\\\")'\"\n  samples = 2\n  warmup  = 0\n}\n",
		"data/BUILD.hcl": "dataset \"d\" {\n  benchmarks = [\"//benchmarks:all\"]\n  formats    = [\"jsonl\"]\n}\n",
	})
	c := newCLI(t, ws)
	c.env = []string{"ISOBENCH_DEBUG=record"}
	args := []string{"build", "//benchmarks:all", "//data:all", "--json"}
	build := func(wantFast bool) result {
		t.Helper()
		return c.mustRecord(wantFast, args...)
	}

	first := c.must(0, args...)
	if strings.Contains(first.stderr, "not recorded") {
		t.Fatalf("the first build, which made everything, was not recorded:\n%s", first.stderr)
	}
	// The first build made isobench-out/ in the workspace's root, a directory searched for
	// BUILD.hcl files, so the next goes down the full path once.
	build(false)
	fast := build(true)
	c.env = []string{"ISOBENCH_DEBUG=keys"}
	full := c.must(0, args...)
	c.env = []string{"ISOBENCH_DEBUG=record"}
	if a, b := withoutSeconds(t, full.stdout), withoutSeconds(t, fast.stdout); a != b {
		t.Errorf("the record's --json differs from the full path's:\nfull:   %s\nrecord: %s", a, b)
	}
	if !strings.Contains(fast.stdout, `"target": "//benchmarks:fast"`) {
		t.Errorf("the record's --json has no result row:\n%s", fast.stdout)
	}
	build(true)
	human := c.must(0, "build", "//benchmarks:all", "//data:all")
	again := c.must(0, "build", "//benchmarks:all", "//data:all")
	if !strings.Contains(again.stderr, fromRecord) || stripTime(again.stdout) != stripTime(human.stdout) ||
		!strings.Contains(again.stdout, "//benchmarks:fast") {
		t.Errorf("a human null build from the record printed:\n%s\nthe full path:\n%s", again.stdout, human.stdout)
	}

	// The dataset's file, deleted, then edited: each time the full path restores it, and the
	// build after answers from the record again.
	file := filepath.Join(ws, "isobench-out", "data", "d", "data", "train-00000-of-00001.jsonl")
	want := mustRead(t, file)
	os.Remove(file)
	build(false)
	build(true)
	if got := mustRead(t, file); got != want {
		t.Fatalf("the dataset file was not restored:\n%s", got)
	}
	os.WriteFile(file, []byte(strings.Replace(want, "fast", "FAST", 1)), 0o644)
	build(false)
	build(true)
	if got := mustRead(t, file); got != want {
		t.Fatalf("the edited dataset file was not restored:\n%s", got)
	}

	// Another python3 first on PATH (PATH is not part of the request): the machine fact is
	// probed again, and the measurement's key changes with it.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	writeFiles(t, bin, map[string]string{"python3": "#!/bin/sh\ncase \"$2\" in\n*platform.python_version*) echo " + py +
		"; echo 3.99.0; exit 0;;\nesac\nexec " + py + " \"$@\"\n"})
	os.Chmod(filepath.Join(bin, "python3"), 0o755)
	c.env = []string{"ISOBENCH_DEBUG=record", "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	r := build(false)
	if s := parseSummary(t, r); s.ByKind["measure"].Executed != 1 {
		t.Errorf("another python3 did not measure again: %+v", s)
	}
	build(true)
	c.env = []string{"ISOBENCH_DEBUG=record"}
	build(false)
	build(true)

	// status: the second answers from the record and prints the same.
	st := c.must(0, "status", "//benchmarks:all", "//data:all")
	st2 := c.must(0, "status", "//benchmarks:all", "//data:all")
	if !strings.Contains(st2.stderr, fromRecord) || st2.stdout != st.stdout || !strings.Contains(st.stdout, "cached   //data:d") {
		t.Errorf("status from the record:\n%s%s\nthe full path:\n%s", st2.stderr, st2.stdout, st.stdout)
	}
}

// TestRecordedGenerator checks that a benchmark whose test a generator writes (over real
// HTTP, from a prompt template) is answered from its record once built, with no request to
// the model and the same output as the full path, and that an edit of the prompt template
// sends the build down the full path, which asks the model again.
func TestRecordedGenerator(t *testing.T) {
	var requests atomic.Int32
	llm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		script := fmt.Sprintf("print('Execution time: 0.01s')  # a prompt of %d bytes", len(body))
		json.NewEncoder(w).Encode(map[string]any{
			"id": "c1", "object": "chat.completion", "created": 1767225600, "model": "m",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": "```python\n" + script + "\n```\n"}}},
			"usage": map[string]any{"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
		})
	}))
	defer llm.Close()
	ws, _ := commitWorkspace(t)
	writeFiles(t, ws, map[string]string{
		"isobench-out/.keep": "", // so that the first build's outputs change no searched directory
		"gen/BUILD.hcl": fmt.Sprintf("generator \"llm\" {\n  base_url    = %q\n  model       = \"m\"\n  api_key_env = \"REC_TEST_KEY\"\n"+
			"  prompt      = templatefile(\"prompt.tmpl\", { commit = commit })\n}\n\n"+
			"benchmark \"g\" {\n  commit    = \"//commits:sum\"\n  generator = \":llm\"\n  samples   = 2\n  warmup    = 0\n}\n", llm.URL+"/v1"),
		"gen/prompt.tmpl": "Write a test for ${commit.subject}.\n",
	})
	c := newCLI(t, ws)
	c.env = []string{"ISOBENCH_DEBUG=record", "REC_TEST_KEY=sk-test"}
	args := []string{"build", "//gen:all", "--json"}
	build := func(wantFast bool) result {
		t.Helper()
		return c.mustRecord(wantFast, args...)
	}
	build(false)
	if requests.Load() != 1 {
		t.Fatalf("the first build made %d requests, want 1", requests.Load())
	}
	fast := build(true)
	c.env = []string{"ISOBENCH_DEBUG=keys", "REC_TEST_KEY=sk-test"}
	full := c.must(0, args...)
	c.env = []string{"ISOBENCH_DEBUG=record", "REC_TEST_KEY=sk-test"}
	if a, b := withoutSeconds(t, full.stdout), withoutSeconds(t, fast.stdout); a != b {
		t.Errorf("the record's --json differs from the full path's:\nfull:   %s\nrecord: %s", a, b)
	}
	build(true)
	if requests.Load() != 1 {
		t.Fatalf("null builds made %d requests", requests.Load()-1)
	}

	writeFiles(t, ws, map[string]string{"gen/prompt.tmpl": "Write a fast test for ${commit.subject}.\n"})
	build(false)
	build(true)
	if requests.Load() != 2 {
		t.Fatalf("an edited prompt made %d requests, want 1", requests.Load()-1)
	}
}

// TestRecordedEnvironment checks that a benchmark in an environment (a real venv) is answered
// from its record once built, and that what the environment stands on beyond the HCL sends
// the build down the full path: its requirements file edited, its directory deleted (the
// full path then keeps going down the full path while the directory is missing and nothing
// needs it), another interpreter found for its python request.
func TestRecordedEnvironment(t *testing.T) {
	ws, _ := commitWorkspace(t)
	writeFiles(t, ws, map[string]string{
		"isobench-out/.keep": "",
		"envs/BUILD.hcl": "environment \"py\" {\n  python       = \"3\"\n  installer    = \"pip\"\n  install      = \"pythonpath\"\n" +
			"  requirements = [\"reqs.txt\"]\n  check        = \"import lib\"\n}\n",
		"envs/reqs.txt": "# nothing to install\n",
		"benchmarks/BUILD.hcl": "benchmark \"fast\" {\n  commit      = \"//commits:sum\"\n  environment = \"//envs:py\"\n" +
			"  command     = \"python -c 'print(\\\"Execution time: 0.01s\\\")'\"\n  samples     = 2\n  warmup      = 0\n}\n",
	})
	c := newCLI(t, ws)
	c.env = []string{"ISOBENCH_DEBUG=record"}
	args := []string{"build", "//benchmarks:all", "--json"}
	build := func(wantFast bool) buildSummary {
		t.Helper()
		return parseSummary(t, c.mustRecord(wantFast, args...))
	}
	if s := build(false); s.ByKind["environment"].Executed != 2 {
		t.Fatalf("the first build: %+v", s)
	}
	fast := c.mustRecord(true, args...)
	c.env = []string{"ISOBENCH_DEBUG=keys"}
	full := c.must(0, args...)
	c.env = []string{"ISOBENCH_DEBUG=record"}
	if withoutSeconds(t, full.stdout) != withoutSeconds(t, fast.stdout) {
		t.Fatalf("the null build from the record:\n%s%s\nthe full path:\n%s", fast.stderr, fast.stdout, full.stdout)
	}
	build(true)

	// The requirements file, edited: the environments' keys change.
	writeFiles(t, ws, map[string]string{"envs/reqs.txt": "# still nothing to install\n"})
	if s := build(false); s.ByKind["environment"].Executed != 2 {
		t.Errorf("an edited requirements file: %+v", s)
	}
	build(true)

	// The environments' directories, deleted: a null build replays them without making them
	// again (nothing needs them), so none can be recorded until a build makes them.
	envs, err := filepath.Glob(filepath.Join(c.home, "envs", "py*"))
	if err != nil || len(envs) == 0 {
		t.Fatalf("no environment directories under %s: %v", c.home, err)
	}
	for _, dir := range envs {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	build(false)
	build(false)
	c.must(0, "build", "//benchmarks:all", "--rerun", "//benchmarks:fast") // needs them: makes them again
	build(false)
	build(true)

	// A python3 first on PATH that runs the same interpreter finds the same one (the probe
	// asks it for itself): the record stands. One whose pip is another version (it says so)
	// is another installer, a machine fact: the full path, which makes the environments
	// again under their new keys.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal(err)
	}
	same, other := t.TempDir(), t.TempDir()
	writeFiles(t, same, map[string]string{"python3": "#!/bin/sh\nexec " + py + " \"$@\"\n"})
	writeFiles(t, other, map[string]string{"python3": "#!/bin/sh\n" + py + " \"$@\" | sed 's/\"pip\": \"[^\"]*\"/\"pip\": \"99.0\"/'\n"})
	os.Chmod(filepath.Join(same, "python3"), 0o755)
	os.Chmod(filepath.Join(other, "python3"), 0o755)
	c.env = []string{"ISOBENCH_DEBUG=record", "PATH=" + same + string(os.PathListSeparator) + os.Getenv("PATH")}
	build(true)
	c.env = []string{"ISOBENCH_DEBUG=record", "PATH=" + other + string(os.PathListSeparator) + os.Getenv("PATH")}
	if s := build(false); s.ByKind["environment"].Executed != 2 {
		t.Errorf("another pip: %+v", s)
	}
	build(true)
}
