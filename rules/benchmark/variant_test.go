package benchmark

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo/gittest"
	"github.com/isobench/isobench/rules/ruletest"
)

// variantTest times the loop of the installed package pkg (pkg/work.py sets N).
var variantTest = strings.Replace(loopTest, "from work import N", "from pkg.work import N", 1)

// Patches to the base commit, as agents would hand them in.
const (
	// fasterPatch loops a twelfth as often as base: four times as fast as the human's head.
	fasterPatch = `diff --git a/pkg/work.py b/pkg/work.py
--- a/pkg/work.py
+++ b/pkg/work.py
@@ -1 +1 @@
-N = 600000
+N = 50000
`
	// samePatch changes nothing the test runs, and adds notes no installed package holds.
	samePatch = `diff --git a/pkg/work.py b/pkg/work.py
--- a/pkg/work.py
+++ b/pkg/work.py
@@ -1 +1,2 @@
+# Faster, surely.
 N = 600000
diff --git a/docs/NOTES.md b/docs/NOTES.md
new file mode 100644
--- /dev/null
+++ b/docs/NOTES.md
@@ -0,0 +1 @@
+Faster now.
`
	// stalePatch was made against another version of the file.
	stalePatch = `diff --git a/pkg/work.py b/pkg/work.py
--- a/pkg/work.py
+++ b/pkg/work.py
@@ -1 +1 @@
-N = 7
+N = 1
`
	// nativePatch rewrites the loop in C, which a wheel's environment cannot take.
	nativePatch = `diff --git a/pkg/_loop.c b/pkg/_loop.c
new file mode 100644
--- /dev/null
+++ b/pkg/_loop.c
@@ -0,0 +1 @@
+int loop(int n) { return n; }
`
)

func variantWorkspace(t *testing.T, variants map[string]string) *workspace {
	r := gittest.New(t)
	// Effects of 3x and more: a busy two-core CI machine moves single runs by half, and the
	// verdicts below must not depend on a quiet one.
	r.Commit("base", map[string]string{"pkg/__init__.py": "", "pkg/work.py": "N = 600000\n"})
	head := r.Commit("loop less", map[string]string{"pkg/work.py": "N = 200000\n"})
	var vs strings.Builder
	for name, patch := range variants {
		fmt.Fprintf(&vs, "    %s = %s\n", name, ruletest.Quote(patch))
	}
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
		"envs/BUILD.hcl":    "environment \"wheel\" {\n  install_package = \"pkg\"\n}\n",
		"benchmarks/BUILD.hcl": `
benchmark "loop" {
  commit      = "//commits:c"
  script      = ` + ruletest.Quote(variantTest) + `
  environment = "//envs:wheel"
  samples     = 8
  variants = {
` + vs.String() + `  }
  verdict {
    confidence = 0.999
    min_effect = 0.25
  }
}
`,
	})
	w.jobs = 1
	return w
}

// TestVariants measures four agents' patches to one commit beside base and head: one twice
// as fast as the human's commit, one that changes nothing, one that does not apply, and one
// in C, which the wheel's environment cannot take. Then a fifth agent's patch is added: only
// its unit runs.
func TestVariants(t *testing.T) {
	variants := map[string]string{"faster": fasterPatch, "same": samePatch, "stale": stalePatch, "native": nativePatch}
	w := variantWorkspace(t, variants)
	b := w.build(nil)

	v := b.ByID("variants //benchmarks:loop")
	if v == nil || v.Outcome == nil || v.Outcome.Status != engine.StatusOK {
		t.Fatalf("variants: %s\n%s", ruletest.Describe(v), b.AllLogs())
	}
	rec := b.records["variants //benchmarks:loop"]
	if rec.Stats.Verdict != "improved" || len(rec.Variants) != 4 {
		t.Fatalf("record: verdict %s, %d variants\n%s", rec.Stats.Verdict, len(rec.Variants), b.AllLogs())
	}
	got := map[string]artifact.Variant{}
	for _, vr := range rec.Variants {
		got[vr.Name] = vr
	}
	logs := b.AllLogs()

	faster := got["faster"]
	if faster.FailureClass != "" || faster.Verdict != "improved" || faster.AgainstHuman != artifact.BetterThanHuman ||
		faster.Method != "overlay" || len(faster.Values) != 8 {
		t.Errorf("faster: %+v\n%s", faster, logs)
	}
	if s := faster.OverHead; s == nil || s.Speedup == nil || *s.Speedup < 1.4 {
		t.Errorf("faster over head: %+v", s)
	}
	same := got["same"]
	// Unchanged on a quiet machine; a busy two-core one may leave an A/A pair undecided, but
	// never makes it a change.
	if same.FailureClass != "" || (same.Verdict != "unchanged" && same.Verdict != "noisy") || same.AgainstHuman != artifact.WorseThanHuman ||
		strings.Join(same.NotInstalled, " ") != "docs/NOTES.md" {
		t.Errorf("same: %+v (over base: %+v)\n%s", same, same.OverBase, logs)
	}
	stale := got["stale"]
	if stale.FailureClass != ClassPatchFailed || !strings.Contains(stale.Message, "patch failed: pkg/work.py:1") {
		t.Errorf("stale: %+v", stale)
	}
	native := got["native"]
	if native.FailureClass != ClassPatchNeedsBuild || !strings.Contains(native.Message, "pkg/_loop.c") {
		t.Errorf("native: %+v", native)
	}
	// Each unit ran base, head and its variant in rotation.
	unit := b.records["measure //benchmarks:loop variant faster"]
	var order []string
	for _, s := range unit.Samples[:6] {
		order = append(order, string(s.Side))
	}
	if got := strings.Join(order, " "); got != "base head faster head faster base" {
		t.Errorf("the first rounds ran %s", got)
	}

	// A fifth agent's patch: only its unit and the record are made.
	build, err := os.ReadFile(filepath.Join(w.Dir, "benchmarks", "BUILD.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(map[string]string{"benchmarks/BUILD.hcl": strings.Replace(string(build), "  variants = {\n",
		"  variants = {\n    later = "+ruletest.Quote(samePatch)+"\n", 1)})
	b = w.build(nil)
	for a, v := range b.Visits {
		if v.Outcome == nil {
			t.Fatalf("%s: %s", a.ID, ruletest.Describe(v))
		}
		executed := !v.Outcome.Cached
		want := a.ID == "measure //benchmarks:loop variant later" || a.ID == "variants //benchmarks:loop"
		if executed != want {
			t.Errorf("%s: executed %v, want %v", a.ID, executed, want)
		}
	}
	if rec := b.records["variants //benchmarks:loop"]; len(rec.Variants) != 5 {
		t.Errorf("after adding one: %d variants", len(rec.Variants))
	}
}

func TestDecodeVariants(t *testing.T) {
	c, diags := loadConfig(t, `script = "print(1)"
  variants = { zed = "diff", alpha = "diff" }`)
	if diags.HasErrors() || len(c.Variants) != 2 || c.Variants[0].Name != "alpha" {
		t.Fatalf("%v %+v", diags, c)
	}
	for body, want := range map[string]string{
		`variants = { base = "diff" }`:   `cannot be called "base"`,
		`variants = { "a b" = "diff" }`:  "not a plain word",
		`variants = { claude = "  \n" }`: "the patch of the variant claude is empty",
	} {
		_, diags := loadConfig(t, "script = \"print(1)\"\n  "+body)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), want) {
			t.Errorf("%s: %v, want %q", body, diags, want)
		}
	}
}

// TestVariantCommand: a command runs in the patched tree (method tree); a patch that breaks
// the test is variant_failed, with its record.
func TestVariantCommand(t *testing.T) {
	repo, _, head := repoWithSpeedup(t)
	faster := "--- a/work.py\n+++ b/work.py\n@@ -1 +1 @@\n-N = 100000\n+N = 20000\n"
	broken := "--- a/work.py\n+++ b/work.py\n@@ -1 +1 @@\n-N = 100000\n+raise SystemExit('broken by the patch')\n"
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", repo, head),
		"benchmarks/BUILD.hcl": `
benchmark "cmd" {
  commit   = "//commits:c"
  command  = "python bench.py"
  samples  = 6
  variants = {
    faster = ` + ruletest.Quote(faster) + `
    broken = ` + ruletest.Quote(broken) + `
  }
  verdict {
    confidence = 0.999
  }
}
`,
	})
	w.jobs = 1
	b := w.build(nil)
	rec := b.records["variants //benchmarks:cmd"]
	if rec == nil || len(rec.Variants) != 2 {
		t.Fatalf("%+v\n%s", rec, b.AllLogs())
	}
	broke, fast := rec.Variants[0], rec.Variants[1]
	if fast.Method != "tree" || fast.Verdict != "improved" || fast.AgainstHuman != artifact.BetterThanHuman {
		t.Errorf("faster: %+v\n%s", fast, b.AllLogs())
	}
	if broke.FailureClass != ClassVariantFailed || !strings.Contains(broke.Message, "broken by the patch") {
		t.Errorf("broken: %+v", broke)
	}
}

// TestVariantsOfAFailedMeasurement: when the test fails at base, the benchmark's record is a
// failure of that class and still lists its variant, failed the same way.
func TestVariantsOfAFailedMeasurement(t *testing.T) {
	r := gittest.New(t)
	r.Commit("base", map[string]string{"bench.py": "raise SystemExit('base is broken')\n"})
	head := r.Commit("fix", map[string]string{"bench.py": "print('Execution time: 0.1s')\n"})
	patch := "--- a/bench.py\n+++ b/bench.py\n@@ -1 +1 @@\n-raise SystemExit('base is broken')\n+print('Execution time: 0.1s')\n"
	w := newWorkspace(t, map[string]string{
		"commits/BUILD.hcl": fmt.Sprintf("commit \"c\" {\n  repo = %q\n  head = %q\n}\n", r.Dir, head),
		"benchmarks/BUILD.hcl": `
benchmark "b" {
  commit   = "//commits:c"
  command  = "python bench.py"
  samples  = 3
  variants = { fix = ` + ruletest.Quote(patch) + ` }
}
`,
	})
	b := w.build(nil)
	v := b.ByID("variants //benchmarks:b")
	if v == nil || v.Outcome == nil || v.Outcome.Status != engine.StatusFailed || v.Outcome.Class != ClassBaseFailed {
		t.Fatalf("variants: %s", ruletest.Describe(v))
	}
	rec := b.records["variants //benchmarks:b"]
	if rec == nil || rec.FailureClass != ClassBaseFailed || len(rec.Variants) != 1 || rec.Variants[0].FailureClass != ClassBaseFailed {
		t.Fatalf("record: %+v", rec)
	}
	// The gathering passes the measurement's failure on: the build reports it blocked by the
	// measurement, executed and replayed alike, and counts the failures of the measurements
	// (base/head's and the variant's, which runs base again) alone.
	for i, b := range []*build{b, w.build(nil)} {
		measure := b.ByID("variants //benchmarks:b").Action.Deps[0].ID
		failed := map[string]bool{}
		for _, f := range b.Summary.Failures {
			failed[f.ID] = true
		}
		blocked := ""
		for _, e := range b.Summary.BlockedBy {
			if e.ID == "variants //benchmarks:b" {
				blocked = e.BlockedBy
			}
		}
		if b.Summary.Failed != 2 || failed["variants //benchmarks:b"] || !failed[measure] || blocked != measure {
			t.Errorf("build %d: %d failures %v, the gathering blocked by %q, want by %q", i+1, b.Summary.Failed, failed, blocked, measure)
		}
	}
}
