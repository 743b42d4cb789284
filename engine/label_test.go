package engine

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseLabel(t *testing.T) {
	good := []struct {
		in   string
		want Label
	}{
		{"//commits:flash", Label{"commits", "flash"}},
		{"//:x", Label{"", "x"}},
		{"//commits", Label{"commits", "commits"}},
		{"//a/b/c", Label{"a/b/c", "c"}},
		{"//a/b:c", Label{"a/b", "c"}},
		{"//a-b/c_d/e.f:g", Label{"a-b/c_d/e.f", "g"}},
		{"//x:a+b=c@d~e.f-g_h", Label{"x", "a+b=c@d~e.f-g_h"}},
		{"//x:ALL", Label{"x", "ALL"}},
		{"//x:all_tests", Label{"x", "all_tests"}},
		{"//.hidden/..../v1.2:x", Label{".hidden/..../v1.2", "x"}},
		{"//0:1", Label{"0", "1"}},
	}
	for _, tc := range good {
		got, err := ParseLabel(tc.in)
		if err != nil {
			t.Errorf("ParseLabel(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseLabel(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}

	bad := []struct {
		in      string
		wantErr string // a fragment of the error
	}{
		{"", "cannot be empty"},
		{"commits:x", `label "commits:x" must start with "//"`},
		{"/commits:x", `must start with "//"`},
		{":x", `label ":x" is relative, but a full label is needed here; write its package too, as in "//pkg:x"`},
		{"-//a:x", "is an exclude pattern, not a label"},
		{"//", "names no target"},
		{"//a:", `nothing follows ":"`},
		{"//a:b:c", `more than one ":"`},
		{"//a:all", `":all" makes it a pattern, which selects every target in package "a"`},
		{"//:all", "every target in the root package"},
		{"//all", "a pattern"},
		{"//a/...", `is a pattern, not a label: "..."`},
		{"//...", "is a pattern"},
		{"//a/...:x", "is a pattern"},
		{"//a/.../b:x", `has the segment "..."`},
		{"///a:x", "empty segment"},
		{"//a//b:x", "empty segment"},
		{"//a/:x", "empty segment"},
		{"//a/", "empty segment"},
		{"//./a:x", `has the segment "."`},
		{"//a/..:x", `has the segment ".."`},
		{"//a b:x", `package path "a b" contains " "`},
		{"//a+b:x", `contains "+"`},
		{"//café:x", `contains "é"`},
		{"//a:x y", `target name "x y" contains " "`},
		{"//a:x/y", `contains "/"`},
		{"//a:$x", `contains "$"`},
		{"//a:x\xff", "contains the byte 0xff"},
		{"//a:.", `target name "." is not allowed`},
		{"//a:..", `target name ".." is not allowed`},
	}
	for _, tc := range bad {
		got, err := ParseLabel(tc.in)
		if err == nil {
			t.Errorf("ParseLabel(%q) = %v, want an error", tc.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParseLabel(%q) error %q, want it to contain %q", tc.in, err, tc.wantErr)
		}
	}
}

func TestParseRelativeLabel(t *testing.T) {
	good := []struct {
		in, pkg string
		want    Label
	}{
		{":x", "commits", Label{"commits", "x"}},
		{":x", "", Label{"", "x"}},
		{":x", "a/b", Label{"a/b", "x"}},
		{"//other:y", "commits", Label{"other", "y"}},
		{"//other", "commits", Label{"other", "other"}},
		{"//other:y", "bad pkg", Label{"other", "y"}}, // pkg only matters for ":name"
	}
	for _, tc := range good {
		got, err := ParseRelativeLabel(tc.in, tc.pkg)
		if err != nil {
			t.Errorf("ParseRelativeLabel(%q, %q): %v", tc.in, tc.pkg, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseRelativeLabel(%q, %q) = %#v, want %#v", tc.in, tc.pkg, got, tc.want)
		}
	}

	bad := []struct {
		in, pkg string
		wantErr string
	}{
		{"commits:x", "a", `label "commits:x" must start with "//" (or ":" for a target in the same package)`},
		{"x", "a", `must start with "//" (or ":"`},
		{":", "a", "a target name cannot be empty"},
		{":all", "a", `every target in package "a"`},
		{":x y", "a", `contains " "`},
		{":x", "a/../b", `cannot be resolved in package "a/../b"`},
		{"//a:all", "a", "makes it a pattern"},
	}
	for _, tc := range bad {
		got, err := ParseRelativeLabel(tc.in, tc.pkg)
		if err == nil {
			t.Errorf("ParseRelativeLabel(%q, %q) = %v, want an error", tc.in, tc.pkg, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParseRelativeLabel(%q, %q) error %q, want it to contain %q", tc.in, tc.pkg, err, tc.wantErr)
		}
	}
}

func TestLabelString(t *testing.T) {
	tests := []struct {
		l    Label
		want string
	}{
		{Label{"commits", "flash"}, "//commits:flash"},
		{Label{"", "x"}, "//:x"},
		{Label{"a/b", "b"}, "//a/b:b"}, // always in full, never the //a/b shorthand
	}
	for _, tc := range tests {
		if got := tc.l.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.l, got, tc.want)
		}
	}
}

func TestLabelIsZero(t *testing.T) {
	if !(Label{}).IsZero() {
		t.Error("Label{}.IsZero() = false")
	}
	for _, l := range []Label{{"", "x"}, {"a", ""}, {"a", "b"}} {
		if l.IsZero() {
			t.Errorf("%#v.IsZero() = true", l)
		}
	}
}

func TestSafeName(t *testing.T) {
	tests := []struct{ key, want string }{
		// Safe keys come back unchanged.
		{"flash_attn", "flash_attn"},
		{"v1.2.3-rc1", "v1.2.3-rc1"},
		{"ALL", "ALL"},
		{"-x", "-x"},
		// Anything else is replaced and the first 8 hex digits of the key's SHA-256
		// appended (sha256sum agrees).
		{"a b", "a_b-c8687a08"},
		{"a/b", "a_b-c14cddc0"},
		{"café", "caf_-850f7dc4"},
		{"\xff", "_-a8100ae6"},
		// Safe, but not a name on its own.
		{"", "-e3b0c442"},
		{"all", "all-5ef5ef03"},
		{".", ".-cdb4ee2a"},
		{"..", "..-5ec1f7e7"},
		// Too long for a directory name: cut, and hashed.
		{strings.Repeat("x", 200), strings.Repeat("x", maxSafeName) + "-aa20c23e"},
	}
	for _, tc := range tests {
		got := SafeName(tc.key)
		if got != tc.want {
			t.Errorf("SafeName(%q) = %q, want %q", tc.key, got, tc.want)
		}
		if err := CheckName(got); err != nil {
			t.Errorf("SafeName(%q) = %q, not a valid target name: %v", tc.key, got, err)
		}
	}
}

func TestSafeNameDistinct(t *testing.T) {
	// Keys that a plain replacement of unsafe characters would merge.
	keys := []string{
		"a b", "a/b", "a_b", "a:b", "a\tb", "a  b", "a__b", "a é", "a_é", "a é ",
		"", "_", "all", "all ", "ALL", ".", "..", "./", "x", "x ", " x",
		strings.Repeat("y", 200), strings.Repeat("y", 201), strings.Repeat("y", maxSafeName),
	}
	for i := range 1000 {
		keys = append(keys, fmt.Sprintf("row %d", i), fmt.Sprintf("row/%d", i), fmt.Sprintf("row_%d", i))
	}
	seen := make(map[string]string)
	for _, k := range keys {
		name := SafeName(k)
		if other, ok := seen[name]; ok {
			t.Errorf("SafeName(%q) = SafeName(%q) = %q", k, other, name)
		}
		seen[name] = k
	}
}

func TestSafeNameKeepsSafeKeys(t *testing.T) {
	for _, k := range []string{"a", "a_b", "perf-98f47f2a", "v1.2", "_", "-", "x" + strings.Repeat("y", maxSafeName-1)} {
		if got := SafeName(k); got != k {
			t.Errorf("SafeName(%q) = %q, want it unchanged", k, got)
		}
	}
}

func TestLabelCheckName(t *testing.T) {
	for _, n := range []string{"x", "a+b", "a=b", "a@b", "a~b", "-"} {
		if err := CheckName(n); err != nil {
			t.Errorf("CheckName(%q): %v", n, err)
		}
	}
	for _, n := range []string{"", "all", ".", "..", "a:b", "a/b", "a b", "é"} {
		if err := CheckName(n); err == nil {
			t.Errorf("CheckName(%q) = nil, want an error", n)
		}
	}
}

func FuzzLabelRoundTrip(f *testing.F) {
	for _, s := range []string{
		"//commits:flash", "//:x", "//commits", "//a/b/c", "//a:b:c", "//a:all",
		"//a/...", "///a", "//a//b:c", "//x:a+b=c@d~e", "commits:x", ":x", "//a:.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLabel(s)
		if err != nil {
			return
		}
		if l.IsZero() || l.Name == "" {
			t.Fatalf("ParseLabel(%q) = %#v with no error", s, l)
		}
		again, err := ParseLabel(l.String())
		if err != nil {
			t.Fatalf("ParseLabel(%q) = %v, but ParseLabel(%q): %v", s, l, l.String(), err)
		}
		if again != l {
			t.Fatalf("ParseLabel(%q) = %#v, but ParseLabel(%q) = %#v", s, l, l.String(), again)
		}
		// A label is also a pattern naming that one target.
		p, err := ParsePattern(l.String(), "")
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", l.String(), err)
		}
		if got, ok := p.Target(); !ok || got != l {
			t.Fatalf("ParsePattern(%q).Target() = %v, %v; want %v, true", l.String(), got, ok, l)
		}
	})
}

func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"", "all", "a b", "café", "..", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		name := SafeName(key)
		if err := CheckName(name); err != nil {
			t.Fatalf("SafeName(%q) = %q: %v", key, name, err)
		}
		if _, err := ParseLabel("//pkg:" + name); err != nil {
			t.Fatalf("SafeName(%q) = %q, which no label can use: %v", key, name, err)
		}
		if SafeName(key) != name {
			t.Fatalf("SafeName(%q) is not stable", key)
		}
	})
}

// TestCompareLabelsAsStrings checks that labels sort as their strings do, packages that are
// prefixes of each other and bytes on either side of ':' included.
func TestCompareLabelsAsStrings(t *testing.T) {
	parts := []string{"", "a", "a/b", "a-b", "a.b", "a:", "ab", "a/b/c", "b", "A", "9", "a_b", "a~"}
	var labels []Label
	for _, p := range parts {
		for _, n := range parts {
			labels = append(labels, Label{Pkg: p, Name: n})
		}
	}
	for _, a := range labels {
		for _, b := range labels {
			if got, want := compareLabels(a, b), strings.Compare(a.String(), b.String()); got != want {
				t.Errorf("compareLabels(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
}
