package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestLoadDiagnostics loads each workspace under testdata/diagnostics/<case>/ and checks the
// first error against the case's expect.txt, one line of the form
//
//	pkg/BUILD.hcl:3:5 a phrase of the message
//
// The position is the one a user sees (file:line:col of the diagnostic's subject); the phrase
// is matched against "summary: detail". A workspace that loads cleanly is planned target by
// target, so that planner errors (a dependency cycle) are covered by the same fixtures.
func TestLoadDiagnostics(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "diagnostics", "*"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no diagnostics fixtures found: %v", err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "expect.txt"))
			if err != nil {
				t.Fatal(err)
			}
			pos, phrase, ok := strings.Cut(strings.TrimSpace(string(raw)), " ")
			if !ok {
				t.Fatalf("expect.txt must read \"file:line:col phrase\", not %q", raw)
			}
			diags := loadAndPlan(t, dir)
			var errs []*hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					errs = append(errs, d)
				}
			}
			if len(errs) == 0 {
				t.Fatalf("the workspace loaded and planned without error; want %s %s", pos, phrase)
			}
			got := renderDiagnostic(errs[0])
			if !strings.HasPrefix(got, pos+":") || !strings.Contains(got, phrase) {
				t.Errorf("first error:\n  %s\nwant it at %s, containing %q; all diagnostics:\n%s", got, pos, phrase, renderAll(diags))
			}
		})
	}
}

// loadAndPlan loads the workspace in dir and, when that succeeds, plans every target.
func loadAndPlan(t *testing.T, dir string) hcl.Diagnostics {
	t.Helper()
	ws, diags := Load(dir, LoadOptions{Kinds: testKinds(nil)})
	if diags.HasErrors() {
		return diags
	}
	p := NewPlanner(ws)
	for _, l := range ws.Labels() {
		if _, err := p.Plan(l); err != nil {
			var planDiags hcl.Diagnostics
			if !errors.As(err, &planDiags) {
				t.Fatalf("planning %s failed with an error that is not a diagnostic: %v", l, err)
			}
			return append(diags, planDiags...)
		}
	}
	return diags
}

// renderDiagnostic prints a diagnostic as the command does: file:line:col, summary, detail.
func renderDiagnostic(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return fmt.Sprintf("(no position): %s: %s", d.Summary, d.Detail)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail)
}

func renderAll(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "  %s\n", renderDiagnostic(d))
	}
	return b.String()
}

// TestUndeclaredVarOverride: --var naming no declared variable is a mistake, not a no-op.
func TestUndeclaredVarOverride(t *testing.T) {
	root := writeTree(t, map[string]string{
		"isobench.hcl":  "variable \"model\" {\n  default = \"gpt\"\n}\n",
		"pkg/BUILD.hcl": "thing \"a\" {\n  text = var.model\n}\n",
	})
	_, diags := Load(root, LoadOptions{Kinds: testKinds(nil), Vars: map[string]string{"modle": "o3"}})
	if !diags.HasErrors() {
		t.Fatal("Load accepted --var modle=o3, which names no declared variable")
	}
	if got := renderAll(diags); !strings.Contains(got, `--var sets "modle"`) || !strings.Contains(got, `Did you mean "model"?`) {
		t.Errorf("diagnostics do not name the variable and the one meant:\n%s", got)
	}
}

// TestForEachMistakeSaidOnce: a mistake every element of a for_each block repeats is one
// diagnostic naming the block and how many elements have it, not one per element.
func TestForEachMistakeSaidOnce(t *testing.T) {
	root := writeTree(t, map[string]string{
		"isobench.hcl":  "",
		"pkg/BUILD.hcl": "thing \"gen\" {\n  for_each = toset([\"a\", \"b\", \"c\", \"d\", \"e\"])\n  count = \"many\"\n}\n",
	})
	_, diags := Load(root, LoadOptions{Kinds: testKinds(nil)})
	if len(diags) != 1 {
		t.Fatalf("%d diagnostics, want 1:\n%s", len(diags), renderAll(diags))
	}
	if got := renderDiagnostic(diags[0]); !strings.Contains(got, "pkg/BUILD.hcl:3:") || !strings.Contains(got, `5 of the 5 targets of the for_each block "gen"`) {
		t.Errorf("the diagnostic does not name the block and its count:\n%s", got)
	}
}

// TestForEachDecodedOnEveryCPU: a for_each block large enough to be decoded by several
// workers gives each target its own values, and its mistakes are said as one diagnostic.
func TestForEachDecodedOnEveryCPU(t *testing.T) {
	const block = "thing \"gen\" {\n  for_each = toset([for i in range(600) : format(\"e%%03d\", i)])\n  text = \"v-${each.key}\"\n  count = %s\n}\n"
	root := writeTree(t, map[string]string{"isobench.hcl": "", "pkg/BUILD.hcl": fmt.Sprintf(block, "1")})
	ws, diags := Load(root, LoadOptions{Kinds: testKinds(nil)})
	if diags.HasErrors() {
		t.Fatal(renderAll(diags))
	}
	for i := range 600 {
		key := fmt.Sprintf("e%03d", i)
		if tg := ws.Targets[Label{Pkg: "pkg", Name: "gen." + key}]; tg == nil || tg.ForEachKey != key || tg.Body.String("text") != "v-"+key {
			t.Fatalf("target gen.%s = %+v", key, tg)
		}
	}
	root = writeTree(t, map[string]string{"isobench.hcl": "", "pkg/BUILD.hcl": fmt.Sprintf(block, `each.key == "e007" || each.key == "e500" ? "many" : 1`)})
	_, diags = Load(root, LoadOptions{Kinds: testKinds(nil)})
	if len(diags) != 1 || !strings.Contains(renderDiagnostic(diags[0]), `2 of the 600 targets of the for_each block "gen"`) {
		t.Errorf("%d diagnostics, want 1 that counts 2 of the 600 targets:\n%s", len(diags), renderAll(diags))
	}
}

// writeTree writes files (slash paths relative to a fresh directory) and returns the directory.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}
