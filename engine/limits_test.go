package engine

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestHostileHCL: input built to crash the parser or the evaluator (deep nesting, a long
// operator chain, a huge file, a huge line) gets one diagnostic at its file, line and column.
func TestHostileHCL(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	chain := strings.Repeat("1+", 499999) + "1"
	cases := []struct {
		name, build string
		summary     string
		line, col   int
	}{
		{"nesting", "locals {\n  x = " + deep + "\n}\n", "Nested too deeply", 2, 7 + MaxNesting - 1},
		{"blocks", strings.Repeat("a {\n", 100000), "Nested too deeply", MaxNesting + 1, 3},
		{"chain", "locals {\n  x = " + chain + "\n}\n", "Expression too long", 2, 6 + 2*(MaxOperators+1)},
		{"line", "locals {\n  x = \"" + strings.Repeat("x", 1<<20) + "\"\n}\n", "Line too long", 2, MaxLineBytes + 1},
		{"chain over lines", "locals {\n  x = (" + strings.Repeat("1 +\n", 5000) + "1)\n}\n", "Expression too long", 2 + MaxOperators, 3},
		{"file", strings.Repeat("# padding\n", MaxFileBytes/10+1), "File too large", 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := writeTree(t, map[string]string{"isobench.hcl": "workspace {}\n", "pkg/BUILD.hcl": c.build})
			_, diags := Load(root, LoadOptions{})
			if len(diags) != 1 || diags[0].Summary != c.summary || diags[0].Subject == nil {
				t.Fatalf("got %v, want one %q", diags, c.summary)
			}
			s := diags[0].Subject
			if got, want := fmt.Sprintf("%s:%d:%d", s.Filename, s.Start.Line, s.Start.Column),
				fmt.Sprintf("pkg/BUILD.hcl:%d:%d", c.line, c.col); got != want {
				t.Errorf("at %s, want %s: %s", got, want, diags[0].Detail)
			}
		})
	}
}

// TestLimitsAcceptOrdinaryHCL: a long list in one attribute and a chain of a few hundred
// operators stay within the limits.
func TestLimitsAcceptOrdinaryHCL(t *testing.T) {
	list := make([]string, 20000)
	for i := range list {
		list[i] = fmt.Sprintf("%q", fmt.Sprint("commit-", i))
	}
	src := "locals {\n  xs = [\n    " + strings.Join(list, ",\n    ") + "\n  ]\n  n = " + strings.Repeat("1 + ", 500) + "1\n}\n"
	if d := checkLimits([]byte(src), "BUILD.hcl"); d != nil {
		t.Fatalf("%s: %s", d.Summary, d.Detail)
	}
}

func TestSourceWindow(t *testing.T) {
	line := strings.Repeat("a", 1000) + "X" + strings.Repeat("b", 1000)
	w, caret := SourceWindow(line, 1001, 40)
	if len(w) > 46 || w[caret-1] != 'X' || !strings.HasPrefix(w, "...") || !strings.HasSuffix(w, "...") {
		t.Errorf("window %q, caret %d", w, caret)
	}
	if w, caret := SourceWindow("short", 3, 40); w != "short" || caret != 3 {
		t.Errorf("window %q, caret %d", w, caret)
	}
}

// TestHostileTemplates: a template rendered by templatefile is held to the same limits, and
// one that renders itself ends in an error; each names the template's file and place, at the
// templatefile call in BUILD.hcl. Ordinary templates, with many interpolations and a shared
// preamble rendered inside them, load.
func TestHostileTemplates(t *testing.T) {
	many := strings.Repeat("${1 + 2 + 3} ", 2000) // 4,000 operators, no more than 2 in one expression
	cases := []struct {
		name, tmpl, want string
	}{
		{"itself", "again: ${templatefile(\"t.tmpl\", {})}", "more than 16 deep"},
		{"nesting", "${" + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}", "t.tmpl:1:" + fmt.Sprint(3+MaxNesting-1) + ": Nested too deeply"},
		{"chain", "text\n${" + strings.Repeat("1+", 5000) + "1}", "t.tmpl:2:" + fmt.Sprint(4+2*MaxOperators) + ": Expression too long"},
		{"size", strings.Repeat("padding\n", MaxFileBytes/8+1), "t.tmpl:1:1: Template too large"},
		{"ordinary", "Speed up: " + many + "${templatefile(\"preamble.tmpl\", { n = 3 })}", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := writeTree(t, map[string]string{
				"isobench.hcl":      "workspace {}\n",
				"pkg/t.tmpl":        c.tmpl,
				"pkg/preamble.tmpl": "You are a performance engineer (${n}).",
				"pkg/BUILD.hcl":     "thing \"p\" {\n  prompt = templatefile(\"t.tmpl\", {})\n}\n",
			})
			_, diags := Load(root, LoadOptions{Kinds: testKinds(nil)})
			if c.want == "" {
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Subject == nil || !strings.Contains(diags[0].Detail, c.want) {
				t.Fatalf("got %v, want one diagnostic saying %q", diags, c.want)
			}
			if s := diags[0].Subject; s.Filename != "pkg/BUILD.hcl" || s.Start.Line != 2 {
				t.Errorf("at %s, want the call at pkg/BUILD.hcl:2", s)
			}
		})
	}
}

// TestFileReadsRegularFiles: file() of a device or of a file past MaxReadBytes is an error at
// the call, not a build that hangs reading /dev/zero.
func TestFileReadsRegularFiles(t *testing.T) {
	root := writeTree(t, map[string]string{"isobench.hcl": "workspace {}\n", "pkg/BUILD.hcl": ""})
	big := root + "/big.txt"
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxReadBytes+1); err != nil { // sparse: no 64 MiB written
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/dev/zero": "not a regular file", big: "more than 64 MiB"} {
		if err := os.WriteFile(root+"/pkg/BUILD.hcl", fmt.Appendf(nil, "thing \"p\" {\n  text = file(%q)\n}\n", path), 0o644); err != nil {
			t.Fatal(err)
		}
		_, diags := Load(root, LoadOptions{Kinds: testKinds(nil)})
		if len(diags) != 1 || !strings.Contains(diags[0].Detail, want) || diags[0].Subject.Start.Line != 2 {
			t.Errorf("file(%q): got %v, want one diagnostic at line 2 saying %q", path, diags, want)
		}
	}
}
