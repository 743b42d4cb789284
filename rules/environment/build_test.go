package environment

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/ruletest"
)

// toyIndex serves what the wheel tests install: a "released" toy 2.0 and its dependency on
// the general index, and per commit a development build of toy whose module knows its commit,
// next to wheels this machine cannot use.
func toyIndex(t *testing.T, commits ...string) *index {
	ix := newIndex(t)
	ix.wheel(t, "/simple", "toy", "2.0", "py3-none-any", map[string]string{"toy/__init__.py": "COMMIT = 'release'\n"}, "tinydep")
	ix.wheel(t, "/simple", "tinydep", "1.0", "py3-none-any", map[string]string{"tinydep/__init__.py": "X = 1\n"})
	for i, c := range commits {
		version := fmt.Sprintf("1.1.dev%d+g%s", i, c[:8])
		ix.wheel(t, "/"+c, "toy", version, "py3-none-any", map[string]string{"toy/__init__.py": fmt.Sprintf("COMMIT = %q\n", c)}, "tinydep")
		// A newer build for another platform and one for an old Python: neither fits here.
		ix.wheel(t, "/"+c, "toy", "1.2", "cp27-cp27mu-manylinux1_x86_64", map[string]string{"toy/__init__.py": ""})
		fn := ix.wheel(t, "/"+c, "toy", "1.3", "py2-none-any", map[string]string{"toy/__init__.py": ""})
		ix.requires[fn] = "<3"
	}
	return ix
}

// toyEnv is an environment as a vLLM user writes one: the project from the commit's own
// index, its dependencies from the general one, and a check that the commit's build is what
// got installed.
func toyEnv(ix *index, name, extra string) string {
	return fmt.Sprintf(`
environment %q {
  installer       = "pip"
  packages        = ["toy"]
  index_url       = "%s/simple"
  extra_index_url = "%s/${commit.sha}"
  check           = "import sys, toy; sys.exit(0 if toy.COMMIT == '${commit.sha}' else 1)"
  %s
}
`, name, ix.URL, ix.URL, extra)
}

func commitBlock(name, head, base, extra string) string {
	return fmt.Sprintf("commit %q {\n  head = %q\n  base = %q\n  %s\n}\n", name, head, base, extra)
}

func TestWheelEnvironmentIsBuiltOnceAndShared(t *testing.T) {
	t.Parallel()
	head, base := sha("a1"), sha("b1")
	ix := toyIndex(t, base, head)
	files := map[string]string{
		"envs/BUILD.hcl":    toyEnv(ix, "toy", ""),
		"commits/BUILD.hcl": commitBlock("c1", head, base, ""),
	}
	w := newWorkspace(t, "", files)

	r := w.build("//envs:toy", "//commits:c1")
	baseEnv, headEnv := w.env(r, 0), w.env(r, 1)
	if r.Summary.Counters["envs_built"] != 2 {
		t.Fatalf("envs_built = %d, want 2 (one per side)", r.Summary.Counters["envs_built"])
	}
	for _, c := range []struct {
		env  artifact.Environment
		sha  string
		side artifact.Side
	}{{baseEnv, base, artifact.Base}, {headEnv, head, artifact.Head}} {
		if c.env.Commit != c.sha || c.env.Side != c.side {
			t.Errorf("environment for %s/%s says commit %s side %s", c.side, c.sha, c.env.Commit, c.env.Side)
		}
		if len(c.env.Resolved) != 1 || !strings.Contains(c.env.Resolved[0].URL, "+g"+c.sha[:8]) && !strings.Contains(c.env.Resolved[0].URL, "%2Bg"+c.sha[:8]) {
			t.Fatalf("%s resolved %+v, want the commit's own toy wheel (not the release 2.0 of the general index)", c.side, c.env.Resolved)
		}
		f := c.env.Resolved[0]
		if f.SHA256 != ix.digest(filepath.Base(f.URL)) || f.Version != fmt.Sprintf("1.1.dev%d+g%s", map[artifact.Side]int{artifact.Base: 0, artifact.Head: 1}[c.side], c.sha[:8]) {
			t.Errorf("%s resolved %+v: wrong digest or version", c.side, f)
		}
		if !strings.Contains(c.env.Lock, "toy @ "+f.URL) || !strings.Contains(c.env.Lock, "tinydep==1.0") {
			t.Errorf("%s lock does not pin the resolved toy and tinydep:\n%s", c.side, c.env.Lock)
		}
		if !strings.HasPrefix(c.env.Installer, "pip ") || c.env.PythonVersion == "" || c.env.Platform == "" || c.env.LockDigest == "" {
			t.Errorf("%s environment lacks facts: %+v", c.side, c.env)
		}
		dir := artifact.EnvDir(w.UserCache, c.env.StoreKey)
		if _, err := os.Stat(filepath.Join(dir, completeMarker)); err != nil {
			t.Errorf("%s directory is not marked complete: %v", c.side, err)
		}
	}
	if baseEnv.StoreKey == headEnv.StoreKey {
		t.Fatalf("base and head share the store key %s although their wheels differ", baseEnv.StoreKey)
	}
	for _, fn := range []string{"toy-1.1.dev0+g" + base[:8] + "-py3-none-any.whl", "toy-1.1.dev1+g" + head[:8] + "-py3-none-any.whl"} {
		if n := ix.count("/files/" + fn); n != 1 {
			t.Errorf("%s was downloaded %d times, want 1", fn, n)
		}
	}
	if n := ix.count("/files/toy-2.0-py3-none-any.whl"); n != 0 {
		t.Errorf("the release toy 2.0 was downloaded %d times; the commit's index must win", n)
	}

	// A second build replays everything: no installer, not even a request to the index.
	hits := ix.totalHits()
	r2 := w.build("//envs:toy", "//commits:c1")
	if k := r2.Summary.ByMnemonic["environment"]; k == nil || k.Cached != 2 || k.Executed != 0 {
		t.Fatalf("second build: environments %+v, want 2 cached and none executed", k)
	}
	if r2.Summary.Counters["installer_runs"] != 0 || ix.totalHits() != hits {
		t.Fatalf("second build ran the installer %d times and made %d index requests", r2.Summary.Counters["installer_runs"], ix.totalHits()-hits)
	}

	// Another workspace of the same user, with its own action cache, asks the index again
	// (its preflight is not cached) but finds both directories built: it runs the check only.
	w2 := newWorkspace(t, w.UserCache, map[string]string{
		"envs/BUILD.hcl":    toyEnv(ix, "toy", ""),
		"commits/BUILD.hcl": commitBlock("c1", head, base, ""),
	})
	downloads := ix.downloads()
	r3 := w2.build("//envs:toy", "//commits:c1")
	if w2.env(r3, 1).LockDigest != headEnv.LockDigest {
		t.Errorf("the shared environment describes itself differently in another workspace")
	}
	if r3.Summary.Counters["envs_reused"] != 2 || r3.Summary.Counters["envs_built"] != 0 || r3.Summary.Counters["installer_runs"] != 0 || ix.downloads() != downloads {
		t.Fatalf("another workspace: counters %v and %d downloads, want both environments reused without installing",
			r3.Summary.Counters, ix.downloads()-downloads)
	}

	// A new check is not a new environment: the check runs in the existing directory.
	w2.Write(map[string]string{"envs/BUILD.hcl": strings.Replace(toyEnv(ix, "toy", ""), "import sys, toy;", "import sys, toy, tinydep;", 1)})
	r4 := w2.build("//envs:toy", "//commits:c1")
	if r4.Summary.Counters["envs_reused"] != 2 || r4.Summary.Counters["installer_runs"] != 0 {
		t.Fatalf("after changing the check: counters %v, want both environments reused", r4.Summary.Counters)
	}
	if log := r4.Logs[r4.Roots[1].ID]; !strings.Contains(log, "import sys, toy, tinydep") {
		t.Errorf("the new check did not run; log:\n%s", log)
	}

	// A replayed result is valid only while its directory holds that environment.
	o := r.Root(1)
	store := w.OpenStore(true)
	used, _ := usedByAction(r.Visits, store)
	if got := slices.Collect(maps.Values(used)); len(got) != 2 || !slices.Contains(got, baseEnv.StoreKey) || !slices.Contains(got, headEnv.StoreKey) {
		t.Errorf("usedByAction = %v, want the two store keys", used)
	}
	if !stillValid(o.Outcome, w.UserCache, headEnv.StoreKey, store, false) {
		t.Fatalf("the environment just built is not valid")
	}
	if err := envStore(w.UserCache).Remove(headEnv.StoreKey); err != nil {
		t.Fatal(err)
	}
	if stillValid(o.Outcome, w.UserCache, headEnv.StoreKey, store, false) {
		t.Fatalf("a removed environment still counts as valid")
	}
	store.Close()

	// So the next build of the first workspace builds it again, and only it.
	r5 := w.build("//envs:toy", "//commits:c1")
	if r5.Summary.Counters["envs_built"] != 1 || !r5.Root(0).Outcome.Cached || r5.Root(1).Outcome.Cached {
		t.Fatalf("after removing the head's directory: counters %v; want the head rebuilt and the base replayed", r5.Summary.Counters)
	}
	if _, err := os.Stat(artifact.PythonIn(artifact.EnvDir(w.UserCache, headEnv.StoreKey))); err != nil {
		t.Fatalf("the head environment was not rebuilt: %v", err)
	}
}

func (ix *index) totalHits() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	n := 0
	for _, c := range ix.hits {
		n += c
	}
	return n
}

func TestNoWheelFailsBeforeAnythingIsBuilt(t *testing.T) {
	t.Parallel()
	head, base := sha("a2"), sha("b2")
	other := sha("c2")
	ix := toyIndex(t, other) // the index knows another commit, not these
	// The head's page lists only wheels this machine cannot use.
	ix.wheel(t, "/"+head, "toy", "1.2", "cp27-cp27mu-manylinux1_x86_64", map[string]string{"toy/__init__.py": ""})
	w := newWorkspace(t, "", map[string]string{
		"envs/BUILD.hcl":    toyEnv(ix, "toy", ""),
		"commits/BUILD.hcl": commitBlock("c2", head, base, ""),
	})
	r := w.build("//envs:toy", "//commits:c2")
	for i, side := range []string{"base", "head"} {
		res := r.Find(t, "resolve //envs:toy @ commit //commits:c2 "+side)
		if res.Outcome == nil || res.Outcome.Class != "no_wheel" {
			t.Fatalf("%s preflight: %s, want no_wheel", side, ruletest.Describe(res))
		}
		if o := r.Root(i); o.Outcome == nil || o.Outcome.Status != engine.StatusBlocked {
			t.Errorf("%s environment: %s, want blocked by the preflight", side, ruletest.Describe(o))
		}
	}
	headMsg := r.Find(t, "resolve //envs:toy @ commit //commits:c2 head").Outcome.Message
	if !strings.Contains(headMsg, "1 wheel for another platform or Python") {
		t.Errorf("the message does not say what the index had: %s", headMsg)
	}
	baseMsg := r.Find(t, "resolve //envs:toy @ commit //commits:c2 base").Outcome.Message
	if !strings.Contains(baseMsg, ix.URL+"/"+base) {
		t.Errorf("the message does not name the commit's index: %s", baseMsg)
	}
	infos, err := envStore(w.UserCache).List()
	if err != nil || len(infos) != 0 {
		t.Fatalf("the env store holds %v (%v); no environment may be made without a wheel", infos, err)
	}
	if n := ix.count("/files/toy-2.0-py3-none-any.whl"); n != 0 {
		t.Errorf("the release toy 2.0 was downloaded for a commit without a wheel")
	}
	// The failure is cached: a second build asks nothing.
	hits := ix.totalHits()
	r2 := w.build("//envs:toy", "//commits:c2")
	if res := r2.Find(t, "resolve //envs:toy @ commit //commits:c2 head"); res.Outcome == nil || !res.Outcome.Cached || ix.totalHits() != hits {
		t.Fatalf("the no_wheel failure was not replayed from the cache: %s, %d requests", ruletest.Describe(res), ix.totalHits()-hits)
	}
}

func TestIndexOutageIsTransient(t *testing.T) {
	t.Parallel()
	ix := toyIndex(t)
	w := newWorkspace(t, "", map[string]string{
		"envs/BUILD.hcl":    toyEnv(ix, "toy", ""),
		"commits/BUILD.hcl": commitBlock("c", sha("a3"), sha("b3"), ""),
	})
	ix.Close()
	r := w.build("//envs:toy", "//commits:c")
	res := r.Find(t, "resolve //envs:toy @ commit //commits:c head")
	if res.Outcome == nil || res.Outcome.Class != "index_unreachable" {
		t.Fatalf("preflight against a closed index: %s, want index_unreachable", ruletest.Describe(res))
	}
	store := w.OpenStore(true)
	defer store.Close()
	if _, found, _ := store.GetEntry(res.Key); found {
		t.Fatalf("a network failure was cached")
	}
}

func TestInstallAndCheckFailuresAreCachedAndLeaveNoDirectory(t *testing.T) {
	t.Parallel()
	head, base := sha("a4"), sha("b4")
	ix := toyIndex(t)
	ix.wheel(t, "/"+head, "toy", "1.1", "py3-none-any", map[string]string{"toy/__init__.py": "COMMIT = 'x'\n"}, "missingdep")
	w := newWorkspace(t, "", map[string]string{
		"envs/BUILD.hcl": toyEnv(ix, "toy", "") + `
environment "badcheck" {
  installer = "pip"
  packages  = ["tinydep"]
  index_url = "` + ix.URL + `/simple"
  check     = "import tinydep, not_a_module"
}
`,
		"commits/BUILD.hcl": commitBlock("c", head, base, ""),
	})
	r := w.build("//envs:toy", "//commits:c", "head")
	o := r.Root(0)
	if o.Outcome == nil || o.Outcome.Class != "install_failed" || !strings.Contains(o.Outcome.Message, "missingdep") {
		t.Fatalf("head with a missing dependency: %s, want install_failed naming missingdep\n%s", ruletest.Describe(o), r.AllLogs())
	}
	if log := r.Logs[r.Roots[0].ID]; !strings.Contains(log, "pip install") || !strings.Contains(log, "missingdep") {
		t.Errorf("the log lacks the installer's output:\n%s", log)
	}
	r2 := w.build("//envs:badcheck", "//commits:c", "head")
	o = r2.Root(0)
	if o.Outcome == nil || o.Outcome.Class != "check_failed" || !strings.Contains(o.Outcome.Message, "not_a_module") {
		t.Fatalf("failing check: %s, want check_failed naming the module", ruletest.Describe(o))
	}
	if infos, err := envStore(w.UserCache).List(); err != nil || len(infos) != 0 {
		t.Errorf("failed builds left directories in the store: %+v %v", infos, err)
	}
	// Both failures are cached: a rebuild runs nothing.
	r3 := w.build("//envs:badcheck", "//commits:c", "head")
	if o := r3.Root(0); o.Outcome == nil || !o.Outcome.Cached || o.Outcome.Class != "check_failed" {
		t.Fatalf("a cached check_failed ran again: %s", ruletest.Describe(o))
	}
}

func TestConcurrentBuildsShareOneEnvironment(t *testing.T) {
	t.Parallel()
	head, base := sha("a5"), sha("b5")
	ix := toyIndex(t, base, head)
	userCache := t.TempDir()
	files := func() map[string]string {
		return map[string]string{"envs/BUILD.hcl": toyEnv(ix, "toy", ""), "commits/BUILD.hcl": commitBlock("c", head, base, "")}
	}
	// Two workspaces (two processes' worth of state: separate action caches) at once.
	ws := []*workspace{newWorkspace(t, userCache, files()), newWorkspace(t, userCache, files())}
	results := make([]*ruletest.Build, 2)
	var wg sync.WaitGroup
	for i := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = ws[i].build("//envs:toy", "//commits:c", "head")
		}()
	}
	wg.Wait()
	var built, reused int64
	for i, r := range results {
		ws[i].env(r, 0)
		built += r.Summary.Counters["envs_built"]
		reused += r.Summary.Counters["envs_reused"]
	}
	if built != 1 || reused != 1 {
		t.Fatalf("built %d and reused %d environments, want it built once and reused once", built, reused)
	}
	if n := ix.count("/files/toy-1.1.dev1+g" + head[:8] + "-py3-none-any.whl"); n != 1 {
		t.Fatalf("the head wheel was downloaded %d times, want 1", n)
	}
}

func TestUVInstaller(t *testing.T) {
	if _, err := exec.LookPath("uv"); err != nil {
		t.Skip("uv is not on PATH: the uv installer is tested only where uv exists")
	}
	t.Parallel()
	head, base := sha("a6"), sha("b6")
	ix := toyIndex(t, base, head)
	w := newWorkspace(t, "", map[string]string{
		"envs/BUILD.hcl":    strings.Replace(toyEnv(ix, "toy", ""), `installer       = "pip"`, `installer       = "uv"`, 1),
		"commits/BUILD.hcl": commitBlock("c", head, base, ""),
	})
	r := w.build("//envs:toy", "//commits:c")
	env := w.env(r, 1)
	if !strings.HasPrefix(env.Installer, "uv ") || !strings.Contains(env.Lock, "toy @ ") || !strings.Contains(env.Lock, "tinydep==1.0") {
		t.Fatalf("uv environment: installer %q, lock:\n%s", env.Installer, env.Lock)
	}
	r2 := w.build("//envs:toy", "//commits:c")
	if r2.Summary.Counters["installer_runs"] != 0 {
		t.Fatalf("the second build ran uv")
	}
}

func TestBuildKilledWhileInstallingIsRebuilt(t *testing.T) {
	t.Parallel()
	head, base := sha("a7"), sha("b7")
	ix := toyIndex(t, base, head)
	headWheel := "toy-1.1.dev1+g" + head[:8] + "-py3-none-any.whl"
	hold := make(chan struct{})
	ix.mu.Lock()
	ix.hold[headWheel] = hold
	ix.mu.Unlock()
	t.Cleanup(func() {
		select {
		case <-hold:
		default:
			close(hold)
		}
	})
	w := newWorkspace(t, "", map[string]string{
		"envs/BUILD.hcl":    toyEnv(ix, "toy", ""),
		"commits/BUILD.hcl": commitBlock("c", head, base, ""),
	})

	// A separate build process, killed with SIGKILL while pip downloads the head's wheel.
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), helperEnv+"="+strings.Join([]string{w.Dir, w.CacheDir, w.UserCache, "//envs:toy", "//commits:c"}, "|"))
	var out strings.Builder
	helper.Stdout, helper.Stderr = &out, &out
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ix.reached:
	case <-time.After(2 * time.Minute):
		helper.Process.Kill()
		helper.Wait()
		t.Fatalf("the helper build never started downloading the head wheel:\n%s", out.String())
	}
	kids := descendants(helper.Process.Pid)
	helper.Process.Signal(syscall.SIGKILL)
	for _, pid := range kids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	helper.Wait()
	close(hold)

	infos, err := envStore(w.UserCache).List()
	if err != nil {
		t.Fatal(err)
	}
	incomplete := 0
	for _, info := range infos {
		if !info.Complete {
			incomplete++
		}
	}
	if len(infos) != 1 || incomplete != 1 {
		t.Fatalf("after the kill the store holds %+v; want the head's directory, incomplete", infos)
	}

	// The next build removes the half-built directory and builds it again.
	r := w.build("//envs:toy", "//commits:c", "head")
	headEnv := w.env(r, 0)
	if r.Summary.Counters["envs_built"] != 1 {
		t.Fatalf("the killed environment was not built again: %v", r.Summary.Counters)
	}
	infos, err = envStore(w.UserCache).List()
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if !info.Complete {
			t.Errorf("%s is still incomplete after the rebuild", info.Key)
		}
	}
	if _, err := os.Stat(artifact.PythonIn(artifact.EnvDir(w.UserCache, headEnv.StoreKey))); err != nil {
		t.Errorf("the rebuilt environment has no interpreter: %v", err)
	}
}
