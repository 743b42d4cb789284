package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/parquet-go/parquet-go"
)

var scenarios = map[string]string{
	"fast":   "improved",
	"slow":   "regressed",
	"broken": "failed",
	"nogpu":  "skipped",
	"nowhl":  "blocked",
	"nogen":  "badgen",
	"nokey":  "nokey",
}

const allDataset = `dataset "vllm" {
  benchmarks  = ["//benchmarks:all"]
  description = "Test dataset."
  license     = "apache-2.0"
}
`

// readDir returns every file under dir, by slash path.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func byBenchmark(records []Record) map[string]Record {
	m := map[string]Record{}
	for _, r := range records {
		m[r.Benchmark] = r
	}
	return m
}

func TestDatasetEndToEnd(t *testing.T) {
	w := workspace(t, scenarios, allDataset)
	out, outcomes := build(t, w, "//dataset:vllm")
	if out.Outcome.Status != engine.StatusOK {
		t.Fatalf("the dataset ended %s: %s %s", out.Outcome.Status, out.Outcome.Class, out.Outcome.Message)
	}
	dir := filepath.Join(w.Dir, "isobench-out", "dataset", "vllm")
	files := readDir(t, dir)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	want := []string{"README.md", "data/train-00000-of-00001.jsonl", "data/train-00000-of-00001.parquet", "manifest.json"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("the dataset directory holds %q, want the Hugging Face layout %q", names, want)
	}
	for name, output := range map[string]string{"README.md": OutputCard, "manifest.json": OutputManifest,
		"data/train-00000-of-00001.jsonl": OutputJSONL, "data/train-00000-of-00001.parquet": OutputParquet} {
		if cache.Sum(files[name]) != out.Outcome.Outputs[output] {
			t.Errorf("%s on disk differs from the cached output %q", name, output)
		}
	}

	records, err := ReadJSONL(bytes.NewReader(files["data/train-00000-of-00001.jsonl"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(scenarios) {
		t.Fatalf("got %d records, want one per benchmark (%d)", len(records), len(scenarios))
	}
	checkRecords(t, byBenchmark(records), outcomes)

	t.Run("parquet reads back as the same records", func(t *testing.T) {
		data := files["data/train-00000-of-00001.parquet"]
		f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		if f.NumRows() != int64(len(records)) {
			t.Errorf("the Parquet file has %d rows, want %d", f.NumRows(), len(records))
		}
		columns := map[string]bool{}
		for _, field := range f.Schema().Fields() {
			columns[field.Name()] = true
		}
		for _, col := range []string{"base_commit", "head_commit", "commit_subject", "commit_message", "files_changed",
			"affected_apis", "efficiency_test", "base_performance", "head_performance", "performance_improvement",
			"test_passed", "generation_config", "speedup", "ci_low", "ci_high", "p_value", "verdict", "status",
			"failure_class", "hardware", "gpu_telemetry", "environment", "provenance"} {
			if !columns[col] {
				t.Errorf("the Parquet schema has no column %q", col)
			}
		}
		back, err := ReadParquet(data)
		if err != nil {
			t.Fatal(err)
		}
		if j1, j2 := mustJSON(records), mustJSON(back); !bytes.Equal(j1, j2) {
			t.Errorf("the Parquet records differ from the JSONL ones:\njsonl:   %s\nparquet: %s", j1, j2)
		}
	})

	t.Run("card lists every feature", func(t *testing.T) {
		card := string(files["README.md"])
		for _, s := range []string{"configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*.parquet\n",
			"  splits:\n  - name: train\n    num_examples: 7\n", "license: \"apache-2.0\"", "Test dataset."} {
			if !strings.Contains(card, s) {
				t.Errorf("the card lacks %q", s)
			}
		}
		typ := reflect.TypeOf(Record{})
		for i := 0; i < typ.NumField(); i++ {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if !strings.Contains(card, "\n  - name: "+name+"\n") || !strings.Contains(card, "| `"+name+"` |") {
				t.Errorf("the card does not list the feature %q", name)
			}
		}
	})

	t.Run("manifest names every action key", func(t *testing.T) {
		var m Manifest
		if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for _, a := range m.Actions {
			if a.Key != nil {
				keys[*a.Key] = true
			}
		}
		for a, o := range outcomes {
			if a.Mnemonic == Name || o.Outcome == nil || o.Outcome.Key == "" {
				continue
			}
			if !keys[string(o.Outcome.Key)] {
				t.Errorf("the manifest lacks the key of %s", a.ID)
			}
		}
		if m.Records != 7 || len(m.Benchmarks) != 7 || len(m.Files) != 3 {
			t.Errorf("the manifest says %d records, %d benchmarks, %d files; want 7, 7, 3", m.Records, len(m.Benchmarks), len(m.Files))
		}
		for _, f := range m.Files {
			if string(cache.Sum(files[f.Path])) != f.SHA256 {
				t.Errorf("the manifest's digest of %s is wrong", f.Path)
			}
		}
		if m.BuildTime == nil {
			t.Error("the manifest has no build time")
		}
		// The build time is the newest creation time among the stored results it was made
		// from, as the store's entries hold it.
		store := w.OpenStore(true)
		defer store.Close()
		var newest time.Time
		for a, o := range outcomes {
			if a.Mnemonic == Name || o.Outcome == nil || o.Outcome.Key == "" {
				continue
			}
			e, found, err := store.GetEntry(o.Outcome.Key)
			if err != nil {
				t.Fatal(err)
			}
			if found && e.Created.After(newest) {
				newest = e.Created
			}
		}
		if want := newest.UTC().Format(time.RFC3339Nano); m.BuildTime != nil && *m.BuildTime != want {
			t.Errorf("the manifest's build time is %s, want %s, the newest entry's", *m.BuildTime, want)
		}
	})

	// The report reads the records and their logs back from the store.
	t.Run("report shows every record with its logs", func(t *testing.T) {
		store := w.OpenStore(true)
		defer store.Close()
		var page bytes.Buffer
		if err := (Kind{}).WriteReport(&page, engine.Label{Pkg: "dataset", Name: "vllm"}, out.Outcome, store); err != nil {
			t.Fatal(err)
		}
		html := page.String()
		if !strings.Contains(html, "<title>//dataset:vllm — isobench report</title>") {
			t.Error("the report is not titled with the dataset's label")
		}
		for name := range scenarios {
			if !strings.Contains(html, "//benchmarks:"+name) {
				t.Errorf("the report does not mention //benchmarks:%s", name)
			}
		}
		if !strings.Contains(html, "log of measure //benchmarks:fast") || strings.Contains(html, "This log is not in the cache any more.") {
			t.Error("the report does not embed every log from the store")
		}
	})

	// Nothing changed: the dataset is replayed from the cache and the files stay as they are.
	t.Run("rebuild is byte-identical", func(t *testing.T) {
		again, _ := build(t, w, "//dataset:vllm")
		if !again.Outcome.Cached {
			t.Error("the unchanged dataset was built again instead of replayed")
		}
		if !reflect.DeepEqual(readDir(t, dir), files) {
			t.Error("the files changed although nothing did")
		}
		// Executing the dataset action again (not its inputs) gives the same bytes: nothing
		// in a record depends on the clock of the dataset build.
		forced, _ := build(t, w, "//dataset:vllm", "//dataset:vllm")
		if forced.Outcome.Cached {
			t.Fatal("--rerun //dataset:all replayed the cache")
		}
		if !reflect.DeepEqual(forced.Outcome.Outputs, out.Outcome.Outputs) || !reflect.DeepEqual(readDir(t, dir), files) {
			t.Error("building the dataset again from the same inputs gave different bytes")
		}
	})

	t.Run("deleted files are written again from the cache", func(t *testing.T) {
		os.Remove(filepath.Join(dir, "data", "train-00000-of-00001.parquet"))
		os.WriteFile(filepath.Join(dir, "README.md"), []byte("edited"), 0o644)
		build(t, w, "//dataset:vllm")
		if !reflect.DeepEqual(readDir(t, dir), files) {
			t.Error("the deleted or edited dataset files were not restored")
		}
	})
}

// checkRecords checks the fields of each scenario's record.
func checkRecords(t *testing.T, recs map[string]Record, outcomes map[*engine.Action]*engine.Visit) {
	t.Helper()
	fast := recs["//benchmarks:fast"]
	deref := func(p *string) string {
		if p == nil {
			return "<null>"
		}
		return *p
	}
	for field, got := range map[string][2]string{
		"commit":         {fast.Commit, "//commits:flash"},
		"base_commit":    {deref(fast.BaseCommit), baseSHA},
		"head_commit":    {deref(fast.HeadCommit), headSHA},
		"commit_subject": {deref(fast.CommitSubject), "[Perf] Faster attention (#1)"},
		"commit_message": {deref(fast.CommitMessage), "[Perf] Faster attention (#1)\n\nFaster attention."},
		"status":         {fast.Status, "ok"},
		"verdict":        {deref(fast.Verdict), "improved"},
		"verdict_reason": {deref(fast.VerdictReason), "Head is 25% faster."},
		"ci_level":       {fmt.Sprint(*fast.CILevel), "0.95"},
		"test_kind":      {deref(fast.TestKind), "generated"},
		"base_lock":      {deref(fast.Environment.BaseLockDigest), "lock-base"},
		"head_python":    {deref(fast.Environment.HeadPython), "3.11.7"},
		"served_model":   {deref(fast.GenerationConfig.ServedModel), "gpt-test-0501"},
		"gpu_name":       {deref(fast.Hardware.GPUName), "NVIDIA H100 80GB HBM3"},
		"version":        {fast.Provenance.IsobenchVersion, Version()},
	} {
		if got[0] != got[1] {
			t.Errorf("fast: %s = %q, want %q", field, got[0], got[1])
		}
	}
	if !reflect.DeepEqual(fast.FilesChanged, []string{"vllm/attention/ops.py"}) ||
		!reflect.DeepEqual(fast.AffectedAPIs, []string{"vllm.attention.ops.FlashAttention.forward"}) ||
		!reflect.DeepEqual(fast.EfficiencyTest, []string{testScript}) {
		t.Errorf("fast: files %q, apis %q, test %q", fast.FilesChanged, fast.AffectedAPIs, fast.EfficiencyTest)
	}
	if len(fast.BasePerformance) != 4 || *fast.BasePerformance[1] != 10.5 || len(fast.HeadPerformance) != 4 {
		t.Errorf("fast: base_performance %v, head_performance %v: want every sample", fast.BasePerformance, fast.HeadPerformance)
	}
	if fast.PerformanceImprovement == nil || *fast.PerformanceImprovement != 20 || fast.Speedup == nil || *fast.Speedup != 1.25 ||
		fast.PValue != nil || fast.TestPassed == nil || !*fast.TestPassed {
		t.Errorf("fast: improvement %v, speedup %v, p %v, passed %v", fast.PerformanceImprovement, fast.Speedup, fast.PValue, fast.TestPassed)
	}
	if g := fast.GenerationConfig; g.Attempts != 2 || g.PromptTokens != 220 || len(g.Params) != 2 || g.Params[0].Name != "max_tokens" {
		t.Errorf("fast: generation_config %+v", *g)
	}
	if tel := fast.GPUTelemetry; tel == nil || tel.Readings != 12 || tel.SMClockMinMHz != 1797 || tel.TemperatureMaxC != 53 ||
		tel.ThrottledSamples != 1 || *tel.PowerMeanW != 200 || !reflect.DeepEqual(tel.ThrottleReasons, []string{"hw_slowdown", "sw_power_cap"}) {
		t.Errorf("fast: gpu_telemetry %+v", tel)
	}
	keys := map[string]string{}
	for a, o := range outcomes {
		if o.Outcome != nil {
			keys[a.ID] = string(o.Outcome.Key)
		}
	}
	if len(fast.Provenance.Actions) != 5 {
		t.Errorf("fast: provenance names %d actions, want commit, generate, two environments and measure", len(fast.Provenance.Actions))
	}
	for _, a := range fast.Provenance.Actions {
		if a.Key == nil || *a.Key != keys[a.ID] || a.Log == nil {
			t.Errorf("fast: provenance of %s has key %v and log %v, want key %s and a log", a.ID, a.Key, a.Log, keys[a.ID])
		}
	}
	if fast.Provenance.BuildTime == nil {
		t.Error("fast: no build time")
	}

	slow := recs["//benchmarks:slow"]
	if deref(slow.Verdict) != "regressed" || slow.PerformanceImprovement == nil || *slow.PerformanceImprovement != -10 {
		t.Errorf("slow: verdict %s, improvement %v; want regressed, -10 (higher is better)", deref(slow.Verdict), slow.PerformanceImprovement)
	}

	broken := recs["//benchmarks:broken"]
	if broken.Status != "failed" || deref(broken.FailureClass) != "base_failed" || broken.TestPassed == nil || *broken.TestPassed ||
		broken.Verdict != nil || broken.Speedup != nil || len(broken.BasePerformance) != 1 || broken.Hardware == nil {
		t.Errorf("broken: status %s class %s passed %v verdict %v speedup %v base %v hardware %v", broken.Status,
			deref(broken.FailureClass), broken.TestPassed, broken.Verdict, broken.Speedup, broken.BasePerformance, broken.Hardware)
	}

	nogpu := recs["//benchmarks:nogpu"]
	if nogpu.Status != "skipped" || deref(nogpu.FailureClass) != "skipped" || nogpu.TestPassed != nil || nogpu.Hardware != nil {
		t.Errorf("nogpu: status %s class %s passed %v", nogpu.Status, deref(nogpu.FailureClass), nogpu.TestPassed)
	}

	nowhl := recs["//benchmarks:nowhl"]
	if nowhl.Status != "blocked" || deref(nowhl.FailureClass) != "no_wheel" || nowhl.TestPassed != nil ||
		deref(nowhl.HeadCommit) != headSHA || nowhl.Environment == nil || nowhl.Environment.HeadLockDigest != nil {
		t.Errorf("nowhl: status %s class %s passed %v head %s env %+v", nowhl.Status, deref(nowhl.FailureClass),
			nowhl.TestPassed, deref(nowhl.HeadCommit), nowhl.Environment)
	}
	nogen := recs["//benchmarks:nogen"]
	if nogen.Status != "blocked" || deref(nogen.FailureClass) != "generation_invalid" || nogen.GenerationConfig == nil ||
		nogen.GenerationConfig.Attempts != 2 || nogen.EfficiencyTest != nil || deref(nogen.TestKind) != "generated" {
		t.Errorf("nogen: status %s class %s generation %+v test %q kind %s", nogen.Status, deref(nogen.FailureClass),
			nogen.GenerationConfig, nogen.EfficiencyTest, deref(nogen.TestKind))
	}
	// A generation that failed without leaving any output is still known for what it was.
	nokey := recs["//benchmarks:nokey"]
	if nokey.Status != "blocked" || deref(nokey.FailureClass) != "missing_api_key" || deref(nokey.TestKind) != "generated" ||
		nokey.Commit != "//commits:flash" {
		t.Errorf("nokey: status %s class %s kind %s commit %q", nokey.Status, deref(nokey.FailureClass), deref(nokey.TestKind), nokey.Commit)
	}
	for _, a := range nowhl.Provenance.Actions {
		if a.Kind == "measure" && (a.Key != nil || a.Status != "blocked") {
			t.Errorf("nowhl: the blocked measure is listed with key %v and status %s", a.Key, a.Status)
		}
	}
}

func TestInclude(t *testing.T) {
	w := workspace(t, scenarios, `dataset "some" {
  benchmarks = ["//benchmarks:all", "-//benchmarks:slow"]
  include    = ["improved", "no_wheel", "regressed"]
  formats    = ["jsonl"]
  output     = "../out/some"
}
`)
	out, _ := build(t, w, "//dataset:some")
	if out.Outcome.Status != engine.StatusOK {
		t.Fatalf("the dataset ended %s: %s", out.Outcome.Status, out.Outcome.Message)
	}
	files := readDir(t, filepath.Join(w.Dir, "out", "some"))
	if _, ok := files["data/train-00000-of-00001.parquet"]; ok {
		t.Error("a Parquet file was written although formats lists only jsonl")
	}
	if !strings.Contains(string(files["README.md"]), "path: data/train-*.jsonl") {
		t.Error("the card of a JSONL-only dataset does not point at the JSONL file")
	}
	records, err := ReadJSONL(bytes.NewReader(files["data/train-00000-of-00001.jsonl"]))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range records {
		got = append(got, r.Benchmark+" "+OutcomeOf(&r))
	}
	want := []string{"//benchmarks:fast improved", "//benchmarks:nowhl blocked: no_wheel"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("include kept %q, want %q", got, want)
	}
	var m Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Benchmarks) != 6 || m.Records != 2 {
		t.Errorf("the manifest lists %d benchmarks and %d records, want 6 and 2", len(m.Benchmarks), m.Records)
	}
}
