package environment

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFetchProjectHTMLAndJSON(t *testing.T) {
	t.Parallel()
	for _, useJSON := range []bool{false, true} {
		ix := newIndex(t)
		ix.json = useJSON
		fn := ix.wheel(t, "/abc", "Flash_Attn", "2.5.0+cu12", "py3-none-any", map[string]string{"flash_attn/__init__.py": ""})
		ix.requires[fn] = ">=3.8"
		files, found, err := fetchProject(context.Background(), ix.URL+"/abc/", "flash-attn")
		if err != nil || !found || len(files) != 1 {
			t.Fatalf("json=%v: %v %v %v", useJSON, files, found, err)
		}
		f := files[0]
		if f.Filename != fn || f.URL != ix.URL+"/files/"+fn || f.SHA256 != ix.digest(fn) || f.RequiresPython != ">=3.8" {
			t.Errorf("json=%v: read %+v", useJSON, f)
		}
		if _, found, err := fetchProject(context.Background(), ix.URL+"/abc", "nothing"); found || err != nil {
			t.Errorf("json=%v: a missing project: found %v, err %v", useJSON, found, err)
		}
	}
}

func TestFetchProjectPageForms(t *testing.T) {
	t.Parallel()
	// What real indexes write: single-quoted and unquoted attributes, escaped '+' and '>',
	// absolute and relative links, yanked files, anchors that are not files.
	page := `<html><head><meta name="pypi:repository-version" content="1.1"></head><body>
<h1>Links for vllm</h1>
<a href='../vllm-0.6.3%2Bcu118-cp38-abi3-manylinux1_x86_64.whl#sha256=AB12' data-requires-python="&gt;=3.8">vllm-0.6.3+cu118-cp38-abi3-manylinux1_x86_64.whl</a><br>
<A HREF=https://files.example.com/vllm-0.6.2.tar.gz data-yanked="">vllm-0.6.2.tar.gz</A>
<a name="top">top</a>
</body></html>`
	var status = http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status != http.StatusOK {
			w.WriteHeader(status)
			return
		}
		io.WriteString(w, page)
	}))
	defer srv.Close()
	files, found, err := fetchProject(context.Background(), srv.URL+"/sha1", "vllm")
	if err != nil || !found || len(files) != 2 {
		t.Fatalf("%+v %v %v", files, found, err)
	}
	if f := files[0]; f.Filename != "vllm-0.6.3+cu118-cp38-abi3-manylinux1_x86_64.whl" || f.URL != srv.URL+"/sha1/vllm-0.6.3%2Bcu118-cp38-abi3-manylinux1_x86_64.whl" ||
		f.SHA256 != "ab12" || f.RequiresPython != ">=3.8" || f.Yanked {
		t.Errorf("first file read as %+v", f)
	}
	if f := files[1]; f.Filename != "vllm-0.6.2.tar.gz" || !f.Yanked || f.SHA256 != "" {
		t.Errorf("second file read as %+v", f)
	}
	for _, c := range []struct {
		status    int
		found     bool
		transient bool
	}{{404, false, false}, {403, false, false}, {503, false, true}, {429, false, true}} {
		status = c.status
		_, found, err := fetchProject(context.Background(), srv.URL, "vllm")
		var ie *indexError
		if found != c.found || errors.As(err, &ie) != c.transient {
			t.Errorf("HTTP %d: found %v, err %v", c.status, found, err)
		}
	}
}

func TestChooseWheel(t *testing.T) {
	ranks := rankTags(supportedTags(linux311))
	files := []indexFile{
		{Filename: "vllm-0.5.0-cp38-abi3-manylinux1_x86_64.whl", URL: "u/0.5.0"},
		{Filename: "vllm-0.6.0-cp38-abi3-manylinux1_x86_64.whl", URL: "u/0.6.0", Yanked: true},
		{Filename: "vllm-0.5.5-cp38-abi3-manylinux1_x86_64.whl", URL: "u/0.5.5-abi3"},
		{Filename: "vllm-0.5.5-cp311-cp311-manylinux_2_17_x86_64.whl", URL: "u/0.5.5-cp311"},
		{Filename: "vllm-0.7.0rc1-cp38-abi3-manylinux1_x86_64.whl", URL: "u/0.7.0rc1"},
		{Filename: "vllm-0.8.0-cp38-abi3-manylinux1_x86_64.whl", URL: "u/0.8.0", RequiresPython: ">=3.12"},
		{Filename: "vllm-0.9.0-cp38-abi3-manylinux_2_39_x86_64.whl", URL: "u/0.9.0"},
		{Filename: "vllm-0.9.0.tar.gz", URL: "u/sdist"},
		{Filename: "other-1.0-py3-none-any.whl", URL: "u/other"},
	}
	for _, c := range []struct {
		req, url, why string
	}{
		{req: "vllm", url: "u/0.5.5-cp311"},        // highest final release that fits, most specific tag
		{req: "vllm==0.6.0", url: "u/0.6.0"},       // a yanked file counts for an exact pin only
		{req: "vllm>=0.7.0rc1", url: "u/0.7.0rc1"}, // pre-releases when the specifier names one
		{req: "vllm<0.5", why: "7 wheels of versions outside <0.5, 1 source distribution (not a wheel)"},
		{req: "vllm>0.7", why: "1 wheel for another platform or Python, 1 wheel that requires another Python, 5 wheels of versions outside >0.7"},
	} {
		r, err := parseRequirement(c.req)
		if err != nil {
			t.Fatal(err)
		}
		f, why := chooseWheel(files, r, ranks, linux311)
		switch {
		case c.url != "" && (f == nil || f.URL != c.url):
			t.Errorf("%s: chose %+v (%s), want %s", c.req, f, why, c.url)
		case c.url == "" && (f != nil || !strings.HasPrefix(why, c.why)):
			t.Errorf("%s: chose %+v, reason %q, want none because %q", c.req, f, why, c.why)
		}
	}
	// Only development builds, as on vLLM's per-commit index: they are taken.
	dev := []indexFile{{Filename: "vllm-0.10.1.dev12+g1234abcd-cp38-abi3-manylinux1_x86_64.whl", URL: "u/dev"}}
	r, _ := parseRequirement("vllm")
	if f, why := chooseWheel(dev, r, ranks, linux311); f == nil || f.Version != "0.10.1.dev12+g1234abcd" {
		t.Errorf("a development build alone was not chosen: %+v %s", f, why)
	}
}
