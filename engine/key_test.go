package engine

import (
	"reflect"
	"strings"
	"testing"
)

// TestDescriptionReadable pins the exact text of a description: it is what
// ISOBENCH_DEBUG=keys prints and what `why` compares, and every byte of it enters the key, so
// a change here invalidates every cache.
func TestDescriptionReadable(t *testing.T) {
	w := &Work{RuleVersion: 3, Lines: append([]Line{
		L("head", "98f47f2a4032f8c395268de80858c64ffcfc60fa"),
		L("samples", 10),
		L("python", "3.11"),
		LongLine("diff", []byte("--- a\n+++ b\n")),
		L("message", "first line\nsecond line"),
		L("empty", ""),
	}, MapLines("env", map[string]string{"Z": "last", "A": "first"})...)}
	want := `isobench-schema 1
kind measure
rule-version 3
head 98f47f2a4032f8c395268de80858c64ffcfc60fa
samples 10
python 3.11
diff sha256:63e6c7a8d79fd5fa9b6f23f4b1f1fe1cc3bb3e1e7fa6e0e5bc2ddb64fa1cb0a7 (12 bytes)
message "first line\nsecond line"
empty 
env.A first
env.Z last
`
	got := Description("measure", w)
	// The digest of the diff is computed, not typed: check the rest, then the digest apart.
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(want, "\n")
	if len(gotLines) != len(wantLines) {
		t.Fatalf("description:\n%s\nwant:\n%s", got, want)
	}
	for i := range gotLines {
		if strings.HasPrefix(wantLines[i], "diff ") {
			if !strings.HasPrefix(gotLines[i], "diff sha256:") || !strings.HasSuffix(gotLines[i], " (12 bytes)") {
				t.Errorf("line %d = %q, want the diff's digest and size", i+1, gotLines[i])
			}
			continue
		}
		if gotLines[i] != wantLines[i] {
			t.Errorf("line %d = %q, want %q", i+1, gotLines[i], wantLines[i])
		}
	}
	// Stable: the same work gives the same text and key, whatever order a map was built in.
	w2 := *w
	w2.Lines = append(append([]Line{}, w.Lines[:6]...), MapLines("env", map[string]string{"A": "first", "Z": "last"})...)
	if Description("measure", &w2) != got || KeyOf(Description("measure", &w2)) != KeyOf(got) {
		t.Error("equal work gave a different description or key")
	}
	if KeyOf(got) == KeyOf(Description("generate", w)) {
		t.Error("the kind does not enter the key")
	}
	w3 := *w
	w3.RuleVersion = 4
	if KeyOf(got) == KeyOf(Description("measure", &w3)) {
		t.Error("the rule version does not enter the key")
	}
}

// TestDescriptionRoundTrip: every value and name parses back from the description exactly,
// however many newlines, quotes or spaces it holds. `why` depends on it to show old values.
func TestDescriptionRoundTrip(t *testing.T) {
	values := []string{
		"", "plain", "two words", " leading", "trailing ", "\tindented", "multi\nline\n",
		"cr\r\nlf", `"quoted"`, `"`, `middle "quote"`, `back\slash`, `\n literally`,
		"unicode ✓ ü", "invalid \xff utf8", "sha256:abc (3 bytes)",
	}
	names := []string{"name", "env.PATH", "env.A B", "env.a\nb", `"q`, "", "tab\there"}
	for _, name := range names {
		for _, value := range values {
			w := &Work{RuleVersion: 1, Lines: []Line{L("before", "x"), {Name: name, Value: value}, L("after", "y")}}
			desc := Description("k", w)
			lines := parseDescription(desc)
			want := []Line{{"isobench-schema", "1"}, {"kind", "k"}, {"rule-version", "1"}, {"before", "x"}, {name, value}, {"after", "y"}}
			if !reflect.DeepEqual(lines, want) {
				t.Errorf("name %q value %q: description\n%s\nparsed back as %q", name, value, desc, lines)
			}
		}
	}
}

// TestDescriptionNoCollisions: distinct line lists give distinct descriptions. Names come
// from user map keys (MapLines), so a key holding a space or a newline must not be able to
// forge other lines.
func TestDescriptionNoCollisions(t *testing.T) {
	pairs := [][2][]Line{
		{MapLines("env", map[string]string{"a x\nenv.b": "y"}), MapLines("env", map[string]string{"a": "x", "b": "y"})},
		{[]Line{{"a b", "c"}}, []Line{{"a", "b c"}}},
		{[]Line{{"a", "b\nc d"}}, []Line{{"a", "b"}, {"c", "d"}}},
		{[]Line{{"a", ""}}, []Line{{"a", " "}}},
		{[]Line{{"", "a b"}}, []Line{{"a", "b"}}},
	}
	for _, p := range pairs {
		d1 := Description("k", &Work{Lines: p[0]})
		d2 := Description("k", &Work{Lines: p[1]})
		if d1 == d2 {
			t.Errorf("%q and %q share the description\n%s", p[0], p[1], d1)
		}
	}
}

// FuzzDescriptionRoundTrip extends TestDescriptionRoundTrip to arbitrary names and values.
func FuzzDescriptionRoundTrip(f *testing.F) {
	f.Add("name", "value")
	f.Add("a b", "c\nd")
	f.Add(`"`, ` "x" `)
	f.Fuzz(func(t *testing.T, name, value string) {
		lines := parseDescription(Description("k", &Work{Lines: []Line{{name, value}}}))
		if len(lines) != 4 || lines[3] != (Line{name, value}) {
			t.Errorf("%q %q parsed back as %q", name, value, lines)
		}
	})
}

func TestDiffDescriptions(t *testing.T) {
	desc := func(lines ...Line) string { return Description("generate", &Work{RuleVersion: 1, Lines: lines}) }
	cases := []struct {
		name     string
		old, new string
		want     []LineChange
		summary  string
	}{
		{
			name:    "one value changed",
			old:     desc(L("model", "gpt-5"), L("prompt", "write a test")),
			new:     desc(L("model", "gpt-5"), L("prompt", "write a faster test")),
			want:    []LineChange{{Name: "prompt", Old: "write a test", New: "write a faster test"}},
			summary: "prompt changed (write a test -> write a faster test)",
		},
		{
			name:    "long value changed",
			old:     desc(LongLine("diff", []byte("a"))),
			new:     desc(LongLine("diff", []byte("b"))),
			summary: "diff changed",
		},
		{
			name:    "added and removed",
			old:     desc(L("model", "m"), L("seed", 1)),
			new:     desc(L("model", "m"), L("temperature", 0)),
			want:    []LineChange{{Name: "temperature", New: "0"}, {Name: "seed", Old: "1"}},
			summary: "temperature added, seed removed",
		},
		{
			name:    "multi-line value",
			old:     desc(L("system", "be brief\nbe right")),
			new:     desc(L("system", "be brief\nbe fast")),
			want:    []LineChange{{Name: "system", Old: "be brief\nbe right", New: "be brief\nbe fast"}},
			summary: "system changed",
		},
		{
			// A name may repeat (one line per file of a list): the second "file" changed, and
			// the diff says so with the second line's old value.
			name:    "repeated name",
			old:     desc(L("file", "a.py"), L("file", "b.py")),
			new:     desc(L("file", "a.py"), L("file", "c.py")),
			want:    []LineChange{{Name: "file", Old: "b.py", New: "c.py"}},
			summary: "file changed (b.py -> c.py)",
		},
		{
			name:    "repeated name, one fewer",
			old:     desc(L("file", "a.py"), L("file", "a.py")),
			new:     desc(L("file", "a.py")),
			want:    []LineChange{{Name: "file", Old: "a.py"}},
			summary: "file removed",
		},
		{
			name:    "rule version",
			old:     desc(L("x", 1)),
			new:     Description("generate", &Work{RuleVersion: 2, Lines: []Line{L("x", 1)}}),
			want:    []LineChange{{Name: "rule-version", Old: "1", New: "2"}},
			summary: "rule-version changed (1 -> 2)",
		},
		{
			name:    "nothing changed",
			old:     desc(L("x", 1)),
			new:     desc(L("x", 1)),
			summary: "its description changed",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := DiffDescriptions(c.old, c.new)
			if c.want != nil && !reflect.DeepEqual(got, c.want) {
				t.Errorf("changes = %q, want %q", got, c.want)
			}
			if s := ChangeSummary(got); s != c.summary {
				t.Errorf("summary = %q, want %q", s, c.summary)
			}
		})
	}
}
