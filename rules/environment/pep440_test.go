package environment

import (
	"testing"
)

func TestVersionOrder(t *testing.T) {
	// Each version sorts strictly before the next (PEP 440's own examples, plus vLLM's
	// per-commit development builds).
	ordered := []string{
		"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2",
		"1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5",
		"1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.1.dev1", "1.1.dev1+g1234",
	}
	for i := 0; i+1 < len(ordered); i++ {
		a, _ := parseVersion(ordered[i])
		b, _ := parseVersion(ordered[i+1])
		if a.compare(b) >= 0 {
			t.Errorf("%s should sort before %s", ordered[i], ordered[i+1])
		}
	}
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0.0", 0},
		{"1.0", "v1.0", 0},
		{"1.0.0-1", "1.0.post1", 0},
		{"1.0-alpha.1", "1.0a1", 0},
		{"1.0RC1", "1.0rc1", 0},
		{"1!0.5", "2.0", 1},
		{"0.10.1.dev12+gabc", "0.9.2", 1},
		{"0.10.1.dev12+gabc", "0.10.1", -1},
	} {
		a, err1 := parseVersion(c.a)
		b, err2 := parseVersion(c.b)
		if err1 != nil || err2 != nil {
			t.Fatalf("parse %s, %s: %v %v", c.a, c.b, err1, err2)
		}
		if got := a.compare(b); got != c.want {
			t.Errorf("compare(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	if v, _ := parseVersion("1.0-Alpha-2.Post-3.DEV-4+Ubuntu-1"); v.String() != "1.0a2.post3.dev4+ubuntu.1" {
		t.Errorf("normalized form %q", v.String())
	}
	if _, err := parseVersion("not a version"); err == nil {
		t.Errorf("a word parsed as a version")
	}
}

func TestSpecifiers(t *testing.T) {
	for _, c := range []struct {
		spec, version string
		want          bool
	}{
		{"", "1.0", true},
		{"<2", "1.26.4", true},
		{"<2", "2.0.0", false},
		{"<2", "2.0rc1", false}, // not a pre-release of the excluded version
		{"<2.0rc2", "2.0rc1", true},
		{">=1.0,<2", "1.5", true},
		{">=1.0,!=1.5.*", "1.5.3", false},
		{"==1.4.*", "1.4.9", true},
		{"==1.4.*", "1.40", false},
		{"==1.0", "1.0+local", true},
		{"==1.0+local", "1.0", false},
		{"~=2.2", "2.9", true},
		{"~=2.2", "3.0", false},
		{"~=1.4.5", "1.4.9", true},
		{"~=1.4.5", "1.5.0", false},
		{">1.7", "1.7.post1", false},
		{">1.7", "1.7.1", true},
		{">1.7", "1.7+local", false},
		{"<=3.12", "3.12.4", false}, // 3.12.4 is after 3.12 (3.12.0)
		{">=3.8", "3.11.7", true},
		{"===1.0", "1.0", true},
		{"!=3.0.*", "3.0.1", false},
	} {
		s, err := parseSpecifiers(c.spec)
		if err != nil {
			t.Fatalf("%q: %v", c.spec, err)
		}
		v, err := parseVersion(c.version)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.contains(v); got != c.want {
			t.Errorf("%s contains %s = %v, want %v", c.spec, c.version, got, c.want)
		}
	}
	for _, bad := range []string{"=>1.0", "~=1", "1.0", ">=", "==1.0.*.*"} {
		if _, err := parseSpecifiers(bad); err == nil {
			t.Errorf("%q parsed as a specifier", bad)
		}
	}
	if s, _ := parseSpecifiers(">=1.0.dev0"); !s.allowsPrereleases() {
		t.Errorf("a specifier naming a development release must admit pre-releases")
	}
	if s, _ := parseSpecifiers(">=1.0"); s.allowsPrereleases() {
		t.Errorf(">=1.0 admits pre-releases")
	}
}

func TestParseRequirement(t *testing.T) {
	for _, c := range []struct {
		raw, name, spec, url, marker string
		extras                       int
		resolvable                   bool
	}{
		{raw: "vllm", name: "vllm", resolvable: true},
		{raw: "Numpy < 2", name: "numpy", spec: "<2", resolvable: true},
		{raw: "vllm[audio, Video]==0.6.3", name: "vllm", spec: "==0.6.3", extras: 2, resolvable: true},
		{raw: "Flash_Attn (>=2.5,<3)", name: "flash-attn", spec: ">=2.5,<3", resolvable: true},
		{raw: "toy @ https://example.com/toy-1.0-py3-none-any.whl", name: "toy", url: "https://example.com/toy-1.0-py3-none-any.whl"},
		{raw: `numpy<2; python_version < "3.12"`, name: "numpy", spec: "<2", marker: `python_version < "3.12"`},
		{raw: "https://example.com/x-1.0-py3-none-any.whl"},
		{raw: "./vendor/pkg"},
	} {
		r, err := parseRequirement(c.raw)
		if err != nil {
			t.Fatalf("%q: %v", c.raw, err)
		}
		if r.Name != c.name || r.Spec.String() != c.spec || r.URL != c.url || r.Marker != c.marker || len(r.Extras) != c.extras || r.resolvable() != c.resolvable {
			t.Errorf("%q parsed as %+v", c.raw, r)
		}
	}
	for _, bad := range []string{"", "--pre", "vllm[audio", "numpy >> 2", "pkg @ "} {
		if _, err := parseRequirement(bad); err == nil {
			t.Errorf("%q parsed as a requirement", bad)
		}
	}
	r, _ := parseRequirement("vllm[audio]")
	if got := r.pinned("https://h/vllm.whl", "ab12"); got != "vllm[audio] @ https://h/vllm.whl#sha256=ab12" {
		t.Errorf("pinned = %q", got)
	}
}
