package engine

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// mustLoad loads a workspace that must have no errors.
func mustLoad(t testing.TB, root string, opts LoadOptions) *Workspace {
	t.Helper()
	if opts.Kinds == nil {
		opts.Kinds = testKinds(nil)
	}
	ws, diags := Load(root, opts)
	if diags.HasErrors() {
		t.Fatalf("Load failed:\n%s", renderAll(diags))
	}
	return ws
}

func mustTarget(t *testing.T, ws *Workspace, label string) *Target {
	t.Helper()
	l, err := ParseLabel(label)
	if err != nil {
		t.Fatal(err)
	}
	tg := ws.Targets[l]
	if tg == nil {
		t.Fatalf("no target %s; have %v", label, ws.Labels())
	}
	return tg
}

// commitVars is the scope a rule gives late attributes: the commit's facts.
func commitVars(sha, subject string) map[string]cty.Value {
	return map[string]cty.Value{"commit": ToCty(map[string]any{"sha": sha, "subject": subject})}
}

// shellSafe is what a for_each label must look like: usable unquoted as a shell word and as
// a directory name.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// TestForEachOverCSV declares one target per row of a CSV file, keyed by a column whose
// values are not valid target names. The labels must be shell-safe, distinct for keys that
// differ only in replaced characters, and stable: the same whatever the row order.
func TestForEachOverCSV(t *testing.T) {
	build := `thing "perf" {
  for_each = { for row in csvdecode(file("commits.csv")) : row.name => row }
  text     = each.value.sha
  prompt   = "${each.key} at ${commit.sha}"
}
`
	rows := []string{
		"fix attn,aaaa",
		"a/b,bbbb",
		"a_b,cccc",
		"plain,dddd",
		"all,eeee",
		"naïve ünïcode,ffff",
	}
	load := func(rows []string) map[string]string {
		root := writeTree(t, map[string]string{
			"isobench.hcl":      "",
			"perf/BUILD.hcl":    build,
			"perf/commits.csv":  "name,sha\n" + strings.Join(rows, "\n") + "\n",
			"other/BUILD.hcl":   "",
			"perf/sub/note.txt": "not a package",
		})
		ws := mustLoad(t, root, LoadOptions{})
		got := map[string]string{} // label -> sha
		for l, tg := range ws.Targets {
			got[l.String()] = tg.String("text")
			if !shellSafe.MatchString(l.Name) {
				t.Errorf("label %s is not shell-safe", l)
			}
			if want := "perf." + SafeName(tg.ForEachKey); l.Name != want {
				t.Errorf("target for key %q is named %q, want %q", tg.ForEachKey, l.Name, want)
			}
			prompt, err := tg.EvalString("prompt", commitVars("1234", ""))
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			if want := tg.ForEachKey + " at 1234"; prompt != want {
				t.Errorf("%s: prompt = %q, want %q", l, prompt, want)
			}
		}
		return got
	}
	first := load(rows)
	if len(first) != len(rows) {
		t.Fatalf("got %d targets for %d rows: %v", len(first), len(rows), first)
	}
	for label, want := range map[string]string{"//perf:perf.plain": "dddd", "//perf:perf.a_b": "cccc"} {
		if first[label] != want {
			t.Errorf("%s has sha %q, want %q (all: %v)", label, first[label], want, first)
		}
	}
	if _, ok := first["//perf:perf.all"]; ok {
		t.Errorf("the key \"all\" kept its name, which only differs from the reserved :all by the prefix; want a hashed name")
	}
	reversed := slices.Clone(rows)
	slices.Reverse(reversed)
	if second := load(reversed); !mapsEqual(first, second) {
		t.Errorf("labels depend on row order:\nfirst  %v\nsecond %v", first, second)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestVariablesAndLocals: locals may refer to locals declared later and in another locals
// block; variables take their default, then ISOBENCH_VAR_<name>, then --var, in rising
// precedence.
func TestVariablesAndLocals(t *testing.T) {
	root := writeTree(t, map[string]string{
		"isobench.hcl": `workspace {
  name       = "demo"
  output_dir = "out"
}

variable "model" {
  default     = "gpt"
  description = "which model writes tests"
}

variable "samples" {
  default = 3
}
`,
		"pkg/BUILD.hcl": `locals {
  greeting = "${local.upper_model}-${var.samples}"
}

locals {
  upper_model = upper(var.model)
  final       = "${local.greeting}!"
}

thing "t" {
  text  = local.final
  count = var.samples
}
`,
	})
	cases := []struct {
		name      string
		env       string // ISOBENCH_VAR_model, "" for unset
		vars      map[string]string
		wantText  string
		wantCount int
	}{
		{"defaults", "", nil, "GPT-3!", 3},
		{"--var", "", map[string]string{"model": "o3"}, "O3-3!", 3},
		{"--var number", "", map[string]string{"samples": "5"}, "GPT-5!", 5},
		{"environment", "claude", nil, "CLAUDE-3!", 3},
		{"--var beats environment", "claude", map[string]string{"model": "o3"}, "O3-3!", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv("ISOBENCH_VAR_model", c.env)
			}
			ws := mustLoad(t, root, LoadOptions{Vars: c.vars})
			tg := mustTarget(t, ws, "//pkg:t")
			if got := tg.String("text"); got != c.wantText {
				t.Errorf("text = %q, want %q", got, c.wantText)
			}
			if got := tg.Int("count", -1); got != c.wantCount {
				t.Errorf("count = %d, want %d", got, c.wantCount)
			}
			if ws.Settings.Name != "demo" || ws.OutputDir() != root+"/out" {
				t.Errorf("settings = %+v, output dir %s", ws.Settings, ws.OutputDir())
			}
		})
	}
}

// TestFilesRelativeToPackage: file() and templatefile() read paths relative to the package
// directory, not the working directory or the workspace root, and templatefile is late when
// its variables mention commit.
func TestFilesRelativeToPackage(t *testing.T) {
	root := writeTree(t, map[string]string{
		"isobench.hcl":              "",
		"notes.txt":                 "the root's notes, which must not be read",
		"gen/deep/notes.txt":        "package notes\n",
		"gen/deep/prompt.tmpl":      "Speed up ${commit.subject} (${commit.sha}) in:%{ for t in tags } ${t}%{ endfor }\n${file(\"footer.txt\")}",
		"gen/deep/footer.txt":       "footer next to the template",
		"gen/deep/BUILD.hcl":        "thing \"t\" {\n  text   = file(\"notes.txt\")\n  prompt = templatefile(\"prompt.tmpl\", { commit = commit, tags = [\"attn\", \"kv\"] })\n}\n",
		"gen/deep/unused/BUILD.hcl": "",
	})
	ws := mustLoad(t, root, LoadOptions{})
	tg := mustTarget(t, ws, "//gen/deep:t")
	if got := tg.String("text"); got != "package notes\n" {
		t.Errorf("file() read %q", got)
	}
	if !tg.IsLate("prompt") || tg.IsLate("text") {
		t.Errorf("IsLate(prompt) = %v, IsLate(text) = %v; want true, false", tg.IsLate("prompt"), tg.IsLate("text"))
	}
	if v := tg.Value("prompt"); v != cty.NilVal {
		t.Errorf("a late attribute has a load-time value %#v", v)
	}
	got, err := tg.EvalString("prompt", commitVars("abc123", "flash attention"))
	if err != nil {
		t.Fatal(err)
	}
	want := "Speed up flash attention (abc123) in: attn kv\nfooter next to the template"
	if got != want {
		t.Errorf("prompt =\n%q\nwant\n%q", got, want)
	}
	// Another commit, the same target: late attributes are evaluated afresh each time.
	if got, _ := tg.EvalString("prompt", commitVars("def456", "kv cache")); !strings.HasPrefix(got, "Speed up kv cache (def456)") {
		t.Errorf("second commit: prompt = %q", got)
	}
}

// TestBodyGetters decodes every attribute type and a nested block.
func TestBodyGetters(t *testing.T) {
	root := writeTree(t, map[string]string{
		"isobench.hcl": "",
		"pkg/BUILD.hcl": `thing "a" {
  text = "x"
}

thing "b" {
  dep     = ":a"
  ref     = "//pkg:a"
  count   = 7
  ratio   = 1.5
  enabled = true
  tags    = ["one", "two"]
  env     = { B = "2", A = "1" }
  timeout = "1m30s"
  mode    = "slow"
  select  = ["//pkg:all", "-//pkg:a"]
  limits {
    cpus  = 4
    owner = ":a"
  }
}
`,
	})
	ws := mustLoad(t, root, LoadOptions{})
	b := mustTarget(t, ws, "//pkg:b")
	a := Label{Pkg: "pkg", Name: "a"}
	checks := []struct {
		name      string
		got, want any
	}{
		{"dep", b.Body.Label("dep"), a},
		{"ref", b.Body.Label("ref"), a},
		{"count", b.Int("count", 0), 7},
		{"ratio", b.Float("ratio", 0), 1.5},
		{"enabled", b.Bool("enabled", false), true},
		{"tags", strings.Join(b.Strings("tags"), ","), "one,two"},
		{"env", b.StringMap("env")["A"] + b.StringMap("env")["B"], "12"},
		{"timeout", b.Duration("timeout", 0), 90 * time.Second},
		{"mode", b.String("mode"), "slow"},
		{"select", len(b.Strings("select")), 2},
		{"limits.cpus", b.Block("limits").Int("cpus", 0), 4},
		{"limits.owner", b.Block("limits").Label("owner"), a},
		{"blocks", len(b.Blocks("limits")), 1},
		{"unset text", b.String("text"), ""},
		{"unset count", b.Int("missing", 42), 42},
		{"unset timeout", b.Duration("missing", time.Second), time.Second},
		{"Has(tags)", b.Has("tags"), true},
		{"Has(text)", b.Has("text"), false},
		{"no block", b.Block("nothing") == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r := b.AttrRange("count"); r.Filename != "pkg/BUILD.hcl" || r.Start.Line != 8 {
		t.Errorf("AttrRange(count) = %s, want pkg/BUILD.hcl line 8", r)
	}
	if r := b.AttrRange("text"); r.Start.Line != 5 {
		t.Errorf("AttrRange of an unset attribute = %s, want the block's range (line 5)", r)
	}
}

// portKind is thingKind with a run variable, as the benchmark kind's server.port.
type portKind struct{ thingKind }

func (portKind) RunVariables() map[string]cty.Value {
	return map[string]cty.Value{"server": cty.ObjectVal(map[string]cty.Value{"port": cty.StringVal("${ISOBENCH_PORT}")})}
}

// TestRunVariables: a kind's RunVariables are in scope in locals and in every target's
// attributes, early and late, beside var and local.
func TestRunVariables(t *testing.T) {
	root := writeTree(t, map[string]string{
		"isobench.hcl": "variable \"model\" {\n  default = \"m\"\n}\n",
		"pkg/BUILD.hcl": `locals {
  client = "bench --model ${var.model} --port ${server.port}"
}
thing "a" {
  text   = local.client
  prompt = "${commit.sha} serve --port ${server.port}"
}
`,
	})
	ws := mustLoad(t, root, LoadOptions{Kinds: []Kind{portKind{}, noteKind{}}})
	tg := mustTarget(t, ws, "//pkg:a")
	if got := tg.String("text"); got != "bench --model m --port ${ISOBENCH_PORT}" {
		t.Errorf("text = %q", got)
	}
	if got, err := tg.EvalString("prompt", commitVars("abc", "s")); err != nil || got != "abc serve --port ${ISOBENCH_PORT}" {
		t.Errorf("prompt = %q, %v", got, err)
	}
}
