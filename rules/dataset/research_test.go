package dataset

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/ruletest"
)

// researchDiff changes code and a test, to be split into patch and test_patch.
const researchDiff = testDiff + `diff --git a/tests/kernels/test_attention.py b/tests/kernels/test_attention.py
index 3333333..4444444 100644
--- a/tests/kernels/test_attention.py
+++ b/tests/kernels/test_attention.py
@@ -1,1 +1,1 @@
-x = 1
+x = 2
`

// TestResearchRecords builds a dataset of a vLLM commit declared by its GitHub URL and
// checks the fields researchers join and filter on (SWE-bench, GSO, SWE-Perf, ISO-Bench
// data), in the JSONL, in the card, and in the Parquet file as a second reader sees it.
func TestResearchRecords(t *testing.T) {
	w := ruletest.New(t, map[string]string{
		"commits/BUILD.hcl": `commit "flash" {
  head     = "` + headSHA + `"
  base     = "` + baseSHA + `"
  repo_url = "https://github.com/vllm-project/vllm.git"
  subject  = "[Perf] Optimize the CPU overheads in FlashAttention custom op (#10733)"
  diff     = ` + ruletest.Quote(researchDiff) + `
  files    = ["vllm/attention/ops.py", "tests/kernels/test_attention.py"]
}
`,
		"benchmarks/BUILD.hcl": `
benchmark "serve" {
  commit   = "//commits:flash"
  scenario = "command"
}
benchmark "gen" {
  commit   = "//commits:flash"
  scenario = "improved"
}
`,
		"dataset/BUILD.hcl": `dataset "vllm" {
  benchmarks      = ["//benchmarks:all"]
  pretty_name     = "vLLM performance commits"
  task_categories = ["text-generation"]
  split           = "vllm"
  config_name     = "h100"
}
`,
	}, Kind{}, ruletest.Commit{}, fakeBenchmark{})
	out, _ := build(t, w, "//dataset:vllm")
	if out.Outcome.Status != engine.StatusOK {
		t.Fatalf("the dataset ended %s: %s", out.Outcome.Status, out.Outcome.Message)
	}
	dir := filepath.Join(w.Dir, "isobench-out", "dataset", "vllm")
	files := readDir(t, dir)
	records, err := ReadJSONL(bytes.NewReader(files["data/train-00000-of-00001.jsonl"]))
	if err != nil {
		t.Fatal(err)
	}
	recs := byBenchmark(records)
	serve, gen := recs["//benchmarks:serve"], recs["//benchmarks:gen"]

	s := func(p *string) string {
		if p == nil {
			return "<null>"
		}
		return *p
	}
	for _, c := range []struct{ field, got, want string }{
		{"instance_id", s(serve.InstanceID), "vllm-project__vllm-98f47f2-serve"},
		{"instance_id", s(gen.InstanceID), "vllm-project__vllm-98f47f2-gen"},
		{"repo", s(serve.Repo), "vllm-project/vllm"},
		{"repo_url", s(serve.RepoURL), "https://github.com/vllm-project/vllm.git"},
		{"pr_url", s(serve.PRURL), "https://github.com/vllm-project/vllm/pull/10733"},
		{"patch", s(serve.Patch), testDiff},
		{"test_patch", s(serve.TestPatch), strings.TrimPrefix(researchDiff, testDiff)},
		{"benchmark_command", s(serve.BenchmarkCommand), "python benchmarks/benchmark_serving.py --model Qwen/Qwen2.5-7B-Instruct --request-rate 1"},
		{"benchmark_model", s(serve.BenchmarkModel), "Qwen/Qwen2.5-7B-Instruct"},
		{"benchmark_mode", s(serve.BenchmarkMode), "serving"},
		{"benchmark_mode", s(gen.BenchmarkMode), "script"},
		{"benchmark_command", s(gen.BenchmarkCommand), "<null>"},
		{"environment.head_version", s(serve.Environment.HeadVersion), "0.6.4.dev1+ghead"},
		{"environment.base_version", s(serve.Environment.BaseVersion), "0.6.4.dev1+gbase"},
		{"environment.torch", s(serve.Environment.Torch), "2.3.0+cu121"},
		{"environment.cuda", s(serve.Environment.CUDA), "12.1"},
		{"environment.head_spec.resolve_as_of", s(serve.Environment.HeadSpec.ResolveAsOf), "2026-01-01T00:00:00Z"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if serve.PRNumber == nil || *serve.PRNumber != 10733 {
		t.Errorf("pr_number = %v, want 10733", serve.PRNumber)
	}
	if got := serve.Environment.HeadPackages; len(got) != 2 || got[0] != (Package{"torch", "2.3.0+cu121"}) {
		t.Errorf("head_packages = %+v, want torch and vllm from the freeze", got)
	}
	if r := serve.Environment.HeadSpec.Resolved; len(r) != 1 || r[0].Version != nil || !strings.HasSuffix(r[0].URL, ".whl") {
		t.Errorf("head_spec.resolved = %+v, want the direct wheel without a version", r)
	}

	card := string(files["README.md"])
	for _, want := range []string{"pretty_name: \"vLLM performance commits\"\n", "task_categories:\n- \"text-generation\"\n",
		"configs:\n- config_name: h100\n  data_files:\n  - split: vllm\n", "  config_name: h100\n  splits:\n  - name: vllm\n    num_examples: 2\n",
		"# vLLM performance commits\n", "| `environment.head_spec.resolved.sha256` |"} {
		if !strings.Contains(card, want) {
			t.Errorf("the card lacks %q", want)
		}
	}

	// The second reader sees the same records: every column, nested ones included, compared
	// through JSON with the JSONL file's.
	rows := readParquetWithHyparquet(t, filepath.Join(dir, "data", "train-00000-of-00001.parquet"))
	if len(rows) != len(records) {
		t.Fatalf("hyparquet read %d rows, want %d", len(rows), len(records))
	}
	for i, row := range rows {
		var want map[string]any
		if err := json.Unmarshal(mustJSON(records[i]), &want); err != nil {
			t.Fatal(err)
		}
		for col, v := range want {
			if !reflect.DeepEqual(normalizeEmpty(row[col]), normalizeEmpty(v)) {
				t.Errorf("record %d, column %s: hyparquet reads %s, the JSONL has %s", i, col, mustJSON(row[col]), mustJSON(v))
			}
		}
	}
}

// normalizeEmpty treats an empty list and null alike: Parquet writes an optional empty list
// and a null one differently only where the schema says so, and the JSONL file's nil slices
// are null.
func normalizeEmpty(v any) any {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return nil
		}
		for i := range x {
			x[i] = normalizeEmpty(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeEmpty(x[k])
		}
	}
	return v
}
