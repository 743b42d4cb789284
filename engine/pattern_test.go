package engine

import (
	"slices"
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	good := []struct {
		in, pkg string
		want    Pattern
		str     string // canonical form
	}{
		{"//commits:flash", "", Pattern{Pkg: "commits", Name: "flash"}, "//commits:flash"},
		{"//commits", "", Pattern{Pkg: "commits", Name: "commits"}, "//commits:commits"},
		{"//:x", "", Pattern{Name: "x"}, "//:x"},
		{"//dataset:all", "", Pattern{Pkg: "dataset", All: true}, "//dataset:all"},
		{"//:all", "", Pattern{All: true}, "//:all"},
		{"//all", "", Pattern{Pkg: "all", All: true}, "//all:all"},
		{"//a/...", "", Pattern{Pkg: "a", Recursive: true}, "//a/..."},
		{"//a/b/...", "", Pattern{Pkg: "a/b", Recursive: true}, "//a/b/..."},
		{"//a/...:all", "", Pattern{Pkg: "a", Recursive: true}, "//a/..."},
		{"//...", "", Pattern{Recursive: true}, "//..."},
		{"//...:all", "", Pattern{Recursive: true}, "//..."},
		{"-//a:x", "", Pattern{Pkg: "a", Name: "x", Exclude: true}, "-//a:x"},
		{"-//a/...", "", Pattern{Pkg: "a", Recursive: true, Exclude: true}, "-//a/..."},
		{"-//...", "", Pattern{Recursive: true, Exclude: true}, "-//..."},
		{"-//a:all", "", Pattern{Pkg: "a", All: true, Exclude: true}, "-//a:all"},
		{":x", "commits", Pattern{Pkg: "commits", Name: "x"}, "//commits:x"},
		{":all", "commits", Pattern{Pkg: "commits", All: true}, "//commits:all"},
		{":x", "", Pattern{Name: "x"}, "//:x"},
		{"-:x", "a/b", Pattern{Pkg: "a/b", Name: "x", Exclude: true}, "-//a/b:x"},
		{"-:all", "a", Pattern{Pkg: "a", All: true, Exclude: true}, "-//a:all"},
		{"//x:ALL", "", Pattern{Pkg: "x", Name: "ALL"}, "//x:ALL"},
		{"//b:gen.*", "", Pattern{Pkg: "b", Name: "gen", Family: true}, "//b:gen.*"},
		{"-:gen.*", "b", Pattern{Pkg: "b", Name: "gen", Family: true, Exclude: true}, "-//b:gen.*"},
	}
	for _, tc := range good {
		got, err := ParsePattern(tc.in, tc.pkg)
		if err != nil {
			t.Errorf("ParsePattern(%q, %q): %v", tc.in, tc.pkg, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParsePattern(%q, %q) = %#v, want %#v", tc.in, tc.pkg, got, tc.want)
		}
		if s := got.String(); s != tc.str {
			t.Errorf("ParsePattern(%q, %q).String() = %q, want %q", tc.in, tc.pkg, s, tc.str)
		}
	}

	bad := []struct {
		in, pkg string
		wantErr string
	}{
		{"", "", "is empty"},
		{"-", "", "is empty"},
		{"commits:x", "", `pattern "commits:x" must start with "//"`},
		{"...", "", `must start with "//"`},
		{"--//a:x", "", `must start with "//"`},
		{"//", "", "names no target"},
		{"//a:", "", `nothing follows ":"`},
		{"//a:b:c", "", `more than one ":"`},
		{"//a/...:x", "", `pattern "//a/...:x" cannot name a target below "...": write //a/... for every target there, or //pkg:x for one target`},
		{"//...:x", "", `cannot name a target below "..."`},
		{"///...", "", `starts with "/"`},
		{"//a//...", "", "empty segment"},
		{"//a/.../b", "", `has the segment "..."`},
		{"//a/..:x", "", `has the segment ".."`},
		{"//a b:x", "", `contains " "`},
		{"//a:x y", "", `contains " "`},
		{"//a:.", "", `target name "." is not allowed`},
		{":x y", "a", `contains " "`},
		{":", "a", "cannot be empty"},
		{":x", "../a", `cannot be resolved in package "../a"`},
		{"-//a b/...", "", `pattern "-//a b/..." is invalid: package path "a b" contains " "`},
	}
	for _, tc := range bad {
		got, err := ParsePattern(tc.in, tc.pkg)
		if err == nil {
			t.Errorf("ParsePattern(%q, %q) = %v, want an error", tc.in, tc.pkg, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParsePattern(%q, %q) error %q, want it to contain %q", tc.in, tc.pkg, err, tc.wantErr)
		}
	}
}

func TestPatternMatch(t *testing.T) {
	labels := []Label{{"", "r"}, {"a", "x"}, {"a/b", "y"}, {"a/b/c", "z"}, {"ab", "z"}, {"b", "a"}}
	tests := []struct {
		pattern string
		want    []string // the labels matched, in the order of labels
	}{
		{"//a:x", []string{"//a:x"}},
		{"//a:y", nil},
		{"//a", nil}, // //a:a
		{"//a:all", []string{"//a:x"}},
		{"//a/...", []string{"//a:x", "//a/b:y", "//a/b/c:z"}},
		{"//a/b/...", []string{"//a/b:y", "//a/b/c:z"}},
		{"//...", []string{"//:r", "//a:x", "//a/b:y", "//a/b/c:z", "//ab:z", "//b:a"}},
		{"//:all", []string{"//:r"}},
		{"-//a:all", []string{"//a:x"}}, // Match ignores Exclude
	}
	for _, tc := range tests {
		p, err := ParsePattern(tc.pattern, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range labels {
			if p.Match(l) {
				got = append(got, l.String())
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s matches %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

func TestPatternTarget(t *testing.T) {
	tests := []struct {
		pattern string
		want    Label
		ok      bool
	}{
		{"//a:x", Label{"a", "x"}, true},
		{"-//a:x", Label{"a", "x"}, true},
		{"//a", Label{"a", "a"}, true},
		{"//a:all", Label{}, false},
		{"//a/...", Label{}, false},
		{"//...", Label{}, false},
	}
	for _, tc := range tests {
		p, err := ParsePattern(tc.pattern, "")
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := p.Target(); got != tc.want || ok != tc.ok {
			t.Errorf("%s.Target() = %v, %v; want %v, %v", tc.pattern, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPatternSelect(t *testing.T) {
	labels := []Label{
		{"b", "q"}, {"a", "x"}, {"a/b", "y"}, {"ab", "z"}, {"a", "w"}, {"", "r"},
		{"a", "x"}, // listed twice, selected once
	}
	tests := []struct {
		patterns  string // separated by spaces
		want      string
		wantEmpty string
	}{
		{"//a/...", "//a/b:y //a:w //a:x", ""},
		{"//a:all", "//a:w //a:x", ""},
		{"//...", "//:r //a/b:y //a:w //a:x //ab:z //b:q", ""},
		{"//... -//a/...", "//:r //ab:z //b:q", ""},
		{"//... -//a:all", "//:r //a/b:y //ab:z //b:q", ""},
		{"//a/... -//a:x", "//a/b:y //a:w", ""},
		// Order matters: an include after an exclude adds back.
		{"//... -//a/... //a:x", "//:r //a:x //ab:z //b:q", ""},
		{"//a:x -//a/...", "", ""},
		// An exclude alone selects nothing.
		{"-//a:x", "", ""},
		{"//a:x //a:x //a:all", "//a:w //a:x", ""},
		// Patterns that match no label are reported, includes and excludes alike.
		{"//a:nope //b:q", "//b:q", "//a:nope"},
		{"//c/... -//d:x //b:all", "//b:q", "//c/... -//d:x"},
		{"//ab/... -//a/b/c/...", "//ab:z", "-//a/b/c/..."},
		{"", "", ""},
	}
	for _, tc := range tests {
		var patterns []Pattern
		for _, s := range strings.Fields(tc.patterns) {
			p, err := ParsePattern(s, "")
			if err != nil {
				t.Fatal(err)
			}
			patterns = append(patterns, p)
		}
		matched, empty := Select(patterns, labels)
		if got := joinStrings(matched); got != tc.want {
			t.Errorf("Select(%s) = %q, want %q", tc.patterns, got, tc.want)
		}
		if got := joinStrings(empty); got != tc.wantEmpty {
			t.Errorf("Select(%s) empty patterns = %q, want %q", tc.patterns, got, tc.wantEmpty)
		}
	}
}

func joinStrings[T interface{ String() string }](xs []T) string {
	var s []string
	for _, x := range xs {
		s = append(s, x.String())
	}
	return strings.Join(s, " ")
}

func FuzzPatternRoundTrip(f *testing.F) {
	for _, s := range []string{
		"//a:x", "//a:all", "//a/...", "//...", "//...:all", "-//a/b/...", ":x", "-:all",
		"//a/...:x", "///...", "//a/.../b",
	} {
		f.Add(s, "pkg")
	}
	f.Fuzz(func(t *testing.T, s, pkg string) {
		p, err := ParsePattern(s, pkg)
		if err != nil {
			return
		}
		set := 0
		for _, b := range []bool{p.Name != "", p.All, p.Recursive} {
			if b {
				set++
			}
		}
		if set != 1 {
			t.Fatalf("ParsePattern(%q, %q) = %#v: want exactly one of Name, All and Recursive", s, pkg, p)
		}
		again, err := ParsePattern(p.String(), "")
		if err != nil {
			t.Fatalf("ParsePattern(%q, %q) = %v, but ParsePattern(%q): %v", s, pkg, p, p.String(), err)
		}
		if again != p {
			t.Fatalf("ParsePattern(%q, %q) = %#v, but ParsePattern(%q) = %#v", s, pkg, p, p.String(), again)
		}
	})
}

func TestNoMatchSays(t *testing.T) {
	labels := []Label{{"benchmarks", "gen.a"}, {"benchmarks", "gen.b"}, {"benchmarks", "gen.c"},
		{"benchmarks", "gen.d"}, {"benchmarks", "median"}, {"dataset", "quickstart"}}
	for _, tc := range []struct{ pattern, want string }{
		{"//benchmarks:gen", "no target //benchmarks:gen is declared: it is a for_each block, whose 4 targets are //benchmarks:gen.* (//benchmarks:gen.a, //benchmarks:gen.b, //benchmarks:gen.c, and 1 more)"},
		{"//datasets:all", "the pattern //datasets:all matches no targets: there is no package //datasets; did you mean //dataset:all?"},
		{"//datasets:quickstart", "did you mean //dataset:quickstart?"},
		{"//benchmarks:medain", "no target //benchmarks:medain is declared; did you mean //benchmarks:median?"},
		{"//zzzzzzzz/...", "there is no package //zzzzzzzz (a package is a directory with a BUILD.hcl)"},
		{"//benchmarks:med.*", "the pattern //benchmarks:med.* matches no targets"},
	} {
		p, err := ParsePattern(tc.pattern, "")
		if err != nil {
			t.Fatal(err)
		}
		matched, empty := Select([]Pattern{p}, labels)
		if len(matched) != 0 || len(empty) != 1 {
			t.Fatalf("%s matched %v", tc.pattern, matched)
		}
		if got := NoMatch(p, labels).Error(); !strings.Contains(got, tc.want) {
			t.Errorf("NoMatch(%s) = %q, want it to say %q", tc.pattern, got, tc.want)
		}
	}
	p, _ := ParsePattern("//benchmarks:gen.*", "")
	if matched, _ := Select([]Pattern{p}, labels); len(matched) != 4 {
		t.Errorf("//benchmarks:gen.* selects %v, want the 4 targets of the block", matched)
	}
}
