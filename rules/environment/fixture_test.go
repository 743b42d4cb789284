package environment

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/ruletest"
)

func TestMain(m *testing.M) {
	// The preflight waits seconds between retries of an index that does not answer; the
	// tests close servers on purpose and need not wait.
	pageRetryDelays = []time.Duration{10 * time.Millisecond}
	// pip's HTTP cache would let a second install skip the download the tests count.
	os.Setenv("PIP_NO_CACHE_DIR", "1")
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// makeWheel builds a real wheel (PEP 427): a zip holding the package's modules, METADATA,
// WHEEL and a RECORD with every file's digest, as pip checks it on install.
func makeWheel(t testing.TB, name, version, tag string, modules map[string]string, requires ...string) (string, []byte) {
	t.Helper()
	dist := strings.ReplaceAll(name, "-", "_")
	info := fmt.Sprintf("%s-%s.dist-info", dist, version)
	files := map[string]string{}
	for p, src := range modules {
		files[p] = src
	}
	meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)
	for _, r := range requires {
		meta += "Requires-Dist: " + r + "\n"
	}
	files[info+"/METADATA"] = meta
	files[info+"/WHEEL"] = fmt.Sprintf("Wheel-Version: 1.0\nGenerator: isobench-test\nRoot-Is-Purelib: true\nTag: %s\n", tag)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record strings.Builder
	for _, p := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[p]))
		sum := sha256.Sum256([]byte(files[p]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", p, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[p]))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", info)
	w, err := zw.Create(info + "/RECORD")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s-%s-%s.whl", dist, version, tag), buf.Bytes()
}

// index is a package index over real HTTP, laid out as vLLM's wheel server is: one simple
// index per prefix ("/simple" for the general one, "/<sha>" per commit), files under /files/.
// Pages are PEP 503 HTML with relative links and #sha256 fragments, or PEP 691 JSON when json
// is set and the client asks for it.
type index struct {
	*httptest.Server
	mu       sync.Mutex
	pages    map[string][]string // "/prefix/project/" -> file names
	files    map[string][]byte
	hits     map[string]int
	json     bool
	hold     map[string]chan struct{} // file name -> closed when its download may proceed
	reached  chan string              // receives a held file's name when its download starts
	requires map[string]string        // file name -> data-requires-python
	uploaded map[string]time.Time     // file name -> PEP 700 upload-time (JSON pages only)
	raw      map[string][]byte        // path -> a file served there without any page, as a direct URL
}

func newIndex(t testing.TB) *index {
	ix := &index{pages: map[string][]string{}, files: map[string][]byte{}, hits: map[string]int{},
		hold: map[string]chan struct{}{}, reached: make(chan string, 16), requires: map[string]string{},
		uploaded: map[string]time.Time{}, raw: map[string][]byte{}}
	ix.Server = httptest.NewServer(http.HandlerFunc(ix.serve))
	t.Cleanup(ix.Close)
	return ix
}

// add lists a file on the project's page under prefix.
func (ix *index) add(prefix, project, filename string, data []byte) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	page := prefix + "/" + normalizeName(project) + "/"
	ix.pages[page] = append(ix.pages[page], filename)
	ix.files[filename] = data
}

// wheel makes a wheel and lists it; it returns the file name.
func (ix *index) wheel(t testing.TB, prefix, name, version, tag string, modules map[string]string, requires ...string) string {
	fn, data := makeWheel(t, name, version, tag, modules, requires...)
	ix.add(prefix, name, fn, data)
	return fn
}

func (ix *index) count(path string) int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.hits[path]
}

// downloads counts the downloads of every file.
func (ix *index) downloads() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	n := 0
	for p, c := range ix.hits {
		if strings.HasPrefix(p, "/files/") {
			n += c
		}
	}
	return n
}

func (ix *index) serve(w http.ResponseWriter, r *http.Request) {
	ix.mu.Lock()
	ix.hits[r.URL.Path]++
	files, isPage := ix.pages[r.URL.Path]
	name := strings.TrimPrefix(r.URL.Path, "/files/")
	data, isFile := ix.files[name]
	if d, ok := ix.raw[r.URL.Path]; ok {
		data, isFile = d, true
	}
	hold := ix.hold[name]
	useJSON := ix.json && strings.Contains(r.Header.Get("Accept"), "application/vnd.pypi.simple.v1+json")
	ix.mu.Unlock()
	switch {
	case isPage && useJSON:
		type file struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython *string           `json:"requires-python,omitempty"`
			UploadTime     string            `json:"upload-time,omitempty"`
		}
		var page struct {
			Meta  map[string]string `json:"meta"`
			Name  string            `json:"name"`
			Files []file            `json:"files"`
		}
		page.Meta = map[string]string{"api-version": "1.0"}
		for _, fn := range files {
			f := file{Filename: fn, URL: "/files/" + fn, Hashes: map[string]string{"sha256": ix.digest(fn)}}
			if rp := ix.requires[fn]; rp != "" {
				f.RequiresPython = &rp
			}
			if at, ok := ix.uploaded[fn]; ok {
				f.UploadTime = at.UTC().Format("2006-01-02T15:04:05.000000Z")
			}
			page.Files = append(page.Files, f)
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		json.NewEncoder(w).Encode(page)
	case isPage:
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<!DOCTYPE html>\n<html><body>\n")
		depth := strings.Count(strings.Trim(r.URL.Path, "/"), "/") + 1
		for _, fn := range files {
			attr := ""
			if rp := ix.requires[fn]; rp != "" {
				attr = fmt.Sprintf(` data-requires-python="%s"`, strings.ReplaceAll(rp, ">", "&gt;"))
			}
			fmt.Fprintf(w, "<a href=\"%sfiles/%s#sha256=%s\"%s>%s</a><br/>\n", strings.Repeat("../", depth), fn, ix.digest(fn), attr, fn)
		}
		fmt.Fprintf(w, "</body></html>\n")
	case isFile:
		if hold != nil {
			ix.reached <- name
			<-hold
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(data)
	default:
		http.NotFound(w, r)
	}
}

func (ix *index) digest(fn string) string {
	sum := sha256.Sum256(ix.files[fn])
	return hex.EncodeToString(sum[:])
}

// workspace is a ruletest workspace of the environment kind and ruletest's commit.
type workspace struct{ *ruletest.Workspace }

// newWorkspace writes files into a new workspace. userCache, unless "", is the per-user cache
// it shares with other workspaces, as one user's workspaces share the env store.
func newWorkspace(t *testing.T, userCache string, files map[string]string) *workspace {
	t.Helper()
	w := &workspace{ruletest.New(t, files, Kind{}, ruletest.Commit{})}
	if userCache != "" {
		w.UserCache = userCache
	}
	return w
}

// sides plans the environment of the sides of a commit (both when none are named), as a
// benchmark would; the plan's roots are in the order of the sides.
func (w *workspace) sides(env, commit string, only ...string) *ruletest.Plan {
	w.T().Helper()
	p := w.Plan(commit)
	c := p.Roots[0]
	if len(only) == 0 {
		only = []string{"base", "head"}
	}
	p.Targets, p.Roots = nil, nil
	for _, side := range only {
		a, err := p.Planner.PlanFor(ruletest.Label(env), c, side)
		if err != nil {
			w.T().Fatal(err)
		}
		p.Roots = append(p.Roots, a)
	}
	return p
}

// build builds the environments of the sides of commit (both when none are named); the roots
// of the result are in the order of the sides.
func (w *workspace) build(env, commit string, only ...string) *ruletest.Build {
	w.T().Helper()
	return w.Run(w.sides(env, commit, only...), engine.Options{})
}

// env decodes the environment output of root i (0 base, 1 head), failing the test when the
// action did not succeed.
func (w *workspace) env(b *ruletest.Build, i int) artifact.Environment {
	w.T().Helper()
	v := b.Root(i)
	if v == nil || v.Outcome == nil || v.Outcome.Status != engine.StatusOK {
		w.T().Fatalf("%s did not succeed: %s\n%s", b.Roots[i].ID, ruletest.Describe(v), b.AllLogs())
	}
	var env artifact.Environment
	w.DecodeOutput(v, artifact.EnvironmentOutput, &env)
	return env
}

// sha makes a fake full SHA from a short tag, so index paths read well in failures.
func sha(tag string) string { return (tag + strings.Repeat("0", 40))[:40] }

// resetProbes forgets what earlier tests learned about interpreters, for tests that change
// PATH or PYENV_ROOT.
func resetProbes() {
	probes.Lock()
	defer probes.Unlock()
	probes.byExe = map[string]*probeResult{}
	probes.byAsk = map[string]*probeResult{}
	probes.installed = map[string]*probeResult{}
	probes.version = map[string]string{}
}

// helperEnv makes the test binary a build process of its own (see TestMain), so that a test
// can kill a build with SIGKILL as a user's kill -9 would.
const helperEnv = "ISOBENCH_ENV_TEST_HELPER"

// helperMain builds the head environment named by ISOBENCH_ENV_TEST_HELPER
// ("workspace|cache|user cache|env label|commit label").
func helperMain() int {
	parts := strings.Split(os.Getenv(helperEnv), "|")
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	ws, diags := engine.Load(parts[0], engine.LoadOptions{Kinds: []engine.Kind{Kind{}, ruletest.Commit{}}})
	if diags.HasErrors() {
		return fail(diags)
	}
	p := engine.NewPlanner(ws)
	envLabel, _ := engine.ParseLabel(parts[3])
	commitLabel, _ := engine.ParseLabel(parts[4])
	c, err := p.Plan(commitLabel)
	if err != nil {
		return fail(err)
	}
	a, err := p.PlanFor(envLabel, c, "head")
	if err != nil {
		return fail(err)
	}
	roots := []*engine.Action{a}
	store, err := cache.Open(parts[1], cache.Options{})
	if err != nil {
		return fail(err)
	}
	defer store.Close()
	if _, _, err := engine.Run(context.Background(), roots, engine.Options{Store: store, Workspace: ws, UserCache: parts[2], Jobs: 4}); err != nil {
		return fail(err)
	}
	return 0
}

// descendants lists the processes below pid, children before their parents' parents, from
// /proc: a killed build's installer runs in a process group of its own.
func descendants(pid int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var p int
		if _, err := fmt.Sscanf(e.Name(), "%d", &p); err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command name (which may hold spaces) start with state, ppid.
		fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		var ppid int
		if len(fields) > 1 {
			fmt.Sscanf(fields[1], "%d", &ppid)
		}
		children[ppid] = append(children[ppid], p)
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			walk(c)
			out = append(out, c)
		}
	}
	walk(pid)
	return out
}
