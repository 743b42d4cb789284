package commitsearch

import (
	"strings"
	"testing"

	"github.com/isobench/isobench/rules/ruletest"
)

// TestConfigErrors: each mistake in a commit_search is an error at its attribute.
func TestConfigErrors(t *testing.T) {
	cases := map[string]struct{ attrs, want string }{
		"bad keyword":   {`keywords = ["speed(up"]`, `mining/BUILD.hcl:3,14-26: Invalid value for keywords; The keyword "speed(up" is not a regular expression`},
		"bad glob":      {`paths = ["lib/[a"]`, `Invalid value for paths; The path pattern "lib/[a" is not a glob: a [ is not closed.`},
		"bad date":      {`since = "last year"`, `Invalid value for since; "last year" is not a date`},
		"empty range":   {"since = \"2024-05-02\"\n  until = \"2024-05-01\"", "The date range is empty"},
		"bad revision":  {`to = "-main"`, `Invalid value for to; The revision "-main" cannot be used: it starts with a dash`},
		"not a sha":     {`exclude = { "main" = "no" }`, `The key "main" is not a commit SHA`},
		"both lists":    {"include = { \"abcdef12\" = \"a\" }\n  exclude = { \"abcdef1234\" = \"b\" }", "The commit abcdef1234 is both included and excluded"},
		"format":        {`output = "perf.txt"`, `must end in .csv or .json`},
		"outside":       {`output = "../../perf.csv"`, "is outside the workspace"},
		"max_files":     {`max_files = 0`, "max_files"},
		"not generator": {`generator = "//repos:up"`, "generator"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			w := ruletest.New(t, map[string]string{
				"repos/BUILD.hcl":  "repo \"up\" {\n  url = \"src\"\n}\n",
				"mining/BUILD.hcl": "commit_search \"s\" {\n  repo = \"//repos:up\"\n  " + c.attrs + "\n}\n",
			}, ruletest.Repo{}, classifierKind{}, Kind{})
			diags := w.Diagnostics()
			if !diags.HasErrors() || !strings.Contains(diags.Error(), c.want) {
				t.Errorf("diagnostics = %v\nwant one containing %q", diags, c.want)
			}
		})
	}
}

// TestGlob: ** crosses directories (and a leading **/ matches none), * and ? stay in one.
func TestGlob(t *testing.T) {
	cases := []struct {
		glob, path string
		match      bool
	}{
		{"vllm/**", "vllm/attention/ops.py", true},
		{"vllm/**", "tests/vllm/x.py", false},
		{"**/*.md", "README.md", true},
		{"**/*.md", "docs/a/b.md", true},
		{"docs/*", "docs/a/b.md", false},
		{"*.py", "a.py", true},
		{"*.py", "lib/a.py", false},
		{"lib/?.py", "lib/a.py", true},
		{"lib/[!a].py", "lib/a.py", false},
		{"csrc/**/*.cu", "csrc/attention/x.cu", true},
		{"csrc/**/*.cu", "csrc/x.cu", true},
	}
	for _, c := range cases {
		g, err := compileGlob(c.glob)
		if err != nil {
			t.Fatal(err)
		}
		if g.match(c.path) != c.match {
			t.Errorf("%q matching %q = %t, want %t", c.glob, c.path, !c.match, c.match)
		}
	}
}
