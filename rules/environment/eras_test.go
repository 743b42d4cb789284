package environment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/ruletest"
)

// TestWheelEras builds one commit of each of vLLM's three eras from one index server: a
// commit with its own index page, a commit whose wheel was uploaded alone under a name that
// does not give its version (found through wheel_url with a HEAD request, installed with
// pip, its real version recorded), and a commit with neither, which is no_wheel without a
// download.
func TestWheelEras(t *testing.T) {
	t.Parallel()
	paged, direct, none := sha("e1"), sha("e2"), sha("e3")
	ix := toyIndex(t, paged)
	// The middle era: <sha>/toy-1.0.0.dev-py3-none-any.whl holds toy 1.1.dev7+g<sha>.
	_, data := makeWheel(t, "toy", "1.1.dev7+g"+direct[:8], "py3-none-any", map[string]string{"toy/__init__.py": fmt.Sprintf("COMMIT = %q\n", direct)}, "tinydep")
	ix.raw["/"+direct+"/toy-1.0.0.dev-py3-none-any.whl"] = data
	w := newWorkspace(t, "", map[string]string{
		"envs/BUILD.hcl": toyEnv(ix, "toy", fmt.Sprintf(`wheel_url = "%s/${commit.sha}/toy-1.0.0.dev-py3-none-any.whl"`, ix.URL)),
		"commits/BUILD.hcl": commitBlock("paged", paged, sha("f1"), "") + commitBlock("direct", direct, sha("f2"), "") +
			commitBlock("none", none, sha("f3"), ""),
	})

	r := w.build("//envs:toy", "//commits:paged", "head")
	if env := w.env(r, 0); len(env.Resolved) != 1 || env.Resolved[0].Direct || env.Resolved[0].SHA256 == "" {
		t.Errorf("the paged commit resolved to %+v, want its index page's file with a digest", env.Resolved)
	}
	if n := ix.count("/" + paged + "/toy-1.0.0.dev-py3-none-any.whl"); n != 0 {
		t.Errorf("the direct URL was asked %d times for a commit with an index page", n)
	}

	r = w.build("//envs:toy", "//commits:direct", "head")
	env := w.env(r, 0) // the check asserts the commit's own module got installed
	if len(env.Resolved) != 1 || !env.Resolved[0].Direct || env.Resolved[0].Version != "" {
		t.Fatalf("the direct-URL commit resolved to %+v, want one direct file without a version", env.Resolved)
	}
	if got, want := env.Installed["toy"], "1.1.dev7+g"+direct[:8]; got != want {
		t.Errorf("installed toy %q recorded, want the wheel's own version %q (not the 1.0.0.dev of its name)", got, want)
	}
	if env.Spec == nil || len(env.Spec.WheelURL) != 1 || !strings.Contains(env.Spec.WheelURL[0], direct) {
		t.Errorf("the environment's spec does not carry the evaluated wheel_url: %+v", env.Spec)
	}

	start := time.Now()
	r = w.build("//envs:toy", "//commits:none", "head")
	res := r.Find(t, "resolve //envs:toy @ commit //commits:none head")
	if res.Outcome == nil || res.Outcome.Class != "no_wheel" {
		t.Fatalf("a commit with neither page nor wheel: %s, want no_wheel", ruletest.Describe(res))
	}
	t.Logf("no_wheel for a commit of the first era in %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(res.Outcome.Message, "toy-1.0.0.dev-py3-none-any.whl (not found)") {
		t.Errorf("the message does not say the direct URL was tried: %s", res.Outcome.Message)
	}
	if n := ix.count("/" + none + "/toy-1.0.0.dev-py3-none-any.whl"); n != 1 {
		t.Errorf("the direct URL was asked %d times, want one HEAD request", n)
	}
}

// TestInstallerVarsForDirectWheels: uv checks a wheel's name against its metadata, which a
// middle-era vLLM wheel fails; pip does not for a direct URL.
func TestInstallerVarsForDirectWheels(t *testing.T) {
	b := &build{spec: &spec{env: map[string]string{"A": "1"}}, inst: &installer{Name: InstallerUV}}
	b.res.Files = append(b.res.Files, artifact.ResolvedFile{Package: "vllm", URL: "https://example.invalid/vllm-1.0.0.dev-cp38-abi3-manylinux1_x86_64.whl", Direct: true})
	if got := b.installerVars(); got["UV_SKIP_WHEEL_FILENAME_CHECK"] != "1" || got["A"] != "1" {
		t.Errorf("uv with a direct wheel gets %v", got)
	}
	if b.env["UV_SKIP_WHEEL_FILENAME_CHECK"] != "" {
		t.Errorf("the target's env was changed: %v", b.env)
	}
	b.inst.Name = InstallerPip
	if got := b.installerVars(); got["UV_SKIP_WHEEL_FILENAME_CHECK"] != "" {
		t.Errorf("pip gets %v", got)
	}
}

// TestResolveAsOf serves PEP 691 JSON pages with PEP 700 upload times: the preflight takes
// the newest dependency uploaded by the commit's date, exempts the commit's own wheel
// (uploaded after it), says what it left out, and enters the date in the key. pip 23 cannot
// limit what it resolves itself, so the environment refuses it as installer_missing.
func TestResolveAsOf(t *testing.T) {
	t.Parallel()
	head, base := sha("d1"), sha("d2")
	ix := toyIndex(t, base, head)
	ix.json = true
	date, _ := time.Parse(time.RFC3339, ruletest.GivenDate)
	for fn, at := range map[string]time.Time{
		ix.wheel(t, "/simple", "pinme", "1.0", "py3-none-any", map[string]string{"pinme/__init__.py": ""}): date.AddDate(0, -6, 0),
		ix.wheel(t, "/simple", "pinme", "2.0", "py3-none-any", map[string]string{"pinme/__init__.py": ""}): date.AddDate(0, 0, 1),
		ix.wheel(t, "/simple", "fresh", "1.0", "py3-none-any", map[string]string{"fresh/__init__.py": ""}): date.AddDate(0, 1, 0),
	} {
		ix.uploaded[fn] = at
	}
	for _, c := range []string{base, head} { // the commit's own build, uploaded by CI later
		for _, fn := range ix.pages["/"+c+"/toy/"] {
			ix.uploaded[fn] = date.AddDate(0, 0, 2)
		}
	}
	files := func(pkgs string) map[string]string {
		return map[string]string{
			"envs/BUILD.hcl": fmt.Sprintf(`
environment "toy" {
  installer       = "pip"
  packages        = %s
  index_url       = "%s/simple"
  extra_index_url = "%s/${commit.sha}"
  resolve_as_of   = commit.date
}
`, pkgs, ix.URL, ix.URL),
			"commits/BUILD.hcl": commitBlock("c", head, base, ""),
		}
	}
	w := newWorkspace(t, "", files(`["toy", "pinme"]`))
	r := w.build("//envs:toy", "//commits:c", "head")
	v := r.Find(t, "resolve //envs:toy @ commit //commits:c head")
	var res resolution
	w.DecodeOutput(v, resolveOutput, &res)
	got := map[string]string{}
	for _, f := range res.Files {
		got[f.Package] = f.Version
	}
	if !strings.HasPrefix(got["toy"], "1.1.dev") || got["pinme"] != "1.0" {
		t.Errorf("resolved %v, want the commit's toy and pinme 1.0 (2.0 came a day after the commit)", got)
	}
	if !strings.Contains(v.Desc, "as_of 2026-01-01T00:00:00Z") {
		t.Errorf("the preflight's key does not hold the date:\n%s", v.Desc)
	}
	env := r.Root(0)
	if py, err := findPython(context.Background(), []string{"3"}); err == nil && atLeast(py.Pip, pipUploadedPriorToMajor, pipUploadedPriorToMinor) {
		t.Logf("pip %s has --uploaded-prior-to; the refusal of an older pip is not exercised here", py.Pip)
	} else if env.Outcome == nil || env.Outcome.Class != "installer_missing" || !strings.Contains(env.Outcome.Message, "--uploaded-prior-to") {
		t.Errorf("environment with pip %s and resolve_as_of: %s, want installer_missing naming what pip lacks", "23", ruletest.Describe(env))
	}

	w.Write(files(`["toy", "fresh"]`))
	r = w.build("//envs:toy", "//commits:c", "head")
	v = r.Find(t, "resolve //envs:toy @ commit //commits:c head")
	if v.Outcome == nil || v.Outcome.Class != "no_wheel" || !strings.Contains(v.Outcome.Message, "1 files uploaded after 2026-01-01T00:00:00Z") {
		t.Errorf("a package first uploaded after the date: %s, want no_wheel saying why", ruletest.Describe(v))
	}
}

func TestPythonInstallNeedsUV(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no uv, no python
	resetProbes()
	t.Cleanup(resetProbes)
	_, err := findOrInstallPython(context.Background(), []string{"3.99"}, true)
	var f *engine.Failure
	if !errors.As(err, &f) || f.Class != "python_missing" || !strings.Contains(err.Error(), "python_install = true needs uv") {
		t.Fatalf("python_install without uv: %v, want python_missing saying uv is needed", err)
	}
}

// BenchmarkNoWheelPreflight measures what a commit with neither an index page nor a direct
// wheel costs the preflight: the page request on the commit's index and the HEAD request of
// the wheel URL, over real HTTP to a local server.
func BenchmarkNoWheelPreflight(b *testing.B) {
	ix := newIndex(b)
	py, err := findPython(context.Background(), []string{"3"})
	if err != nil {
		b.Skip(err)
	}
	r, _ := parseRequirement("toy")
	ranks := rankTags(supportedTags(py))
	commit := sha("bench")
	wheel := []string{ix.URL + "/" + commit + "/toy-1.0.0.dev-py3-none-any.whl"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		file, _, paged, _, err := resolveOne(context.Background(), io.Discard, []string{ix.URL + "/" + commit}, time.Time{}, r, ranks, py)
		if err != nil || file != nil || paged {
			b.Fatalf("resolveOne: %v %v %v", file, paged, err)
		}
		if file, _, _, err = headWheel(context.Background(), io.Discard, wheel, r, ranks); err != nil || file != nil {
			b.Fatalf("headWheel: %v %v", file, err)
		}
	}
}

// TestUploadTimes reads PEP 700 upload times from JSON pages and uv's data-upload-time from
// HTML ones, and leaves out what is newer or undated.
func TestUploadTimes(t *testing.T) {
	base, _ := url.Parse("https://example.org/simple/toy/")
	js, err := parseJSONPage([]byte(`{"files": [
	  {"filename": "toy-1.0-py3-none-any.whl", "url": "toy-1.0-py3-none-any.whl", "hashes": {}, "upload-time": "2024-11-01T10:00:00.123456Z"},
	  {"filename": "toy-2.0-py3-none-any.whl", "url": "toy-2.0-py3-none-any.whl", "hashes": {}, "upload-time": "2025-01-01T00:00:00Z"},
	  {"filename": "toy-3.0-py3-none-any.whl", "url": "toy-3.0-py3-none-any.whl", "hashes": {}}]}`), base)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := parseHTMLPage([]byte(`<a href="toy-1.0-py3-none-any.whl" data-upload-time="2024-11-01T10:00:00Z">toy-1.0-py3-none-any.whl</a>`), base)
	if len(html) != 1 || !html[0].UploadTime.Equal(time.Date(2024, 11, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("HTML page: %+v", html)
	}
	cutoff, err := parseAsOf("2024-11-28T09:01:02-08:00")
	if err != nil || asOfText(cutoff) != "2024-11-28T17:01:02Z" {
		t.Fatalf("parseAsOf: %v %v", asOfText(cutoff), err)
	}
	kept, newer, undated := datedFiles(js, cutoff)
	if len(kept) != 1 || kept[0].Filename != "toy-1.0-py3-none-any.whl" || newer != 1 || undated != 1 {
		t.Errorf("datedFiles kept %+v, %d newer, %d undated; want 1.0, 1, 1", kept, newer, undated)
	}
	if d, err := parseAsOf("2024-11-28"); err != nil || asOfText(d) != "2024-11-28T00:00:00Z" {
		t.Errorf("a date: %v %v", d, err)
	}
}
