package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/isobench/isobench/cache/remotetest"
)

// remoteSummary is the part of `build --json` a remote cache changes.
type remoteSummary struct {
	Executed, Cached int
	Counters         map[string]int64
}

func parseRemoteSummary(t *testing.T, r result) remoteSummary {
	t.Helper()
	var s remoteSummary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("build --json printed no JSON summary: %v\n%s", err, r.stdout)
	}
	return s
}

// Two machines (two per-user caches) share one bazel-remote: the second replays the first's
// commits without executing them, read-only, and says where its results came from.
func TestCLIRemoteCacheSharesResults(t *testing.T) {
	srv := remotetest.Start(t)
	ws, _ := commitWorkspace(t)
	a, b := newCLI(t, ws), newCLI(t, ws)

	s := parseRemoteSummary(t, a.must(0, "build", "//commits:all", "--json", "--remote-cache", srv.URL))
	if s.Executed == 0 || s.Counters["remote_hits"] != 0 {
		t.Fatalf("first machine: %+v", s)
	}
	r := b.must(0, "build", "//commits:all", "--json", "--remote-cache", srv.URL, "--remote-cache-upload=false")
	s2 := parseRemoteSummary(t, r)
	if s2.Executed != 0 || s2.Cached != s.Executed || s2.Counters["remote_hits"] != int64(s.Executed) {
		t.Fatalf("second machine: %+v; want all %d results from the remote", s2, s.Executed)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("warnings:\n%s", r.stderr)
	}
	if r := b.must(0, "status", "--remote-cache", srv.URL); !strings.Contains(r.stdout, "cached   //commits:sum") {
		t.Errorf("status on the second machine:\n%s", r.stdout)
	}
}

// The server being down, or a token variable that is not set, costs a warning each, never the
// build; a URL that is not one is a usage error.
func TestCLIRemoteCacheProblems(t *testing.T) {
	dead, err := remotetest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := commitWorkspace(t)
	writeFiles(t, ws, map[string]string{"isobench.hcl": "workspace {\n  name = \"t\"\n" +
		"  remote_cache = \"http://" + dead + "\"\n  remote_cache_token_env = \"TEAM_CACHE_TOKEN\"\n}\n"})
	c := newCLI(t, ws)
	t.Setenv("TEAM_CACHE_TOKEN", "") // an empty token is no token

	r := c.must(0, "build", "//commits:all")
	warnings := strings.Count(r.stderr, "isobench: warning:")
	if warnings != 2 || !strings.Contains(r.stderr, "$TEAM_CACHE_TOKEN, named by remote_cache_token_env, is not set") ||
		!strings.Contains(r.stderr, "http://"+dead) || !strings.Contains(r.stderr, "local cache only") {
		t.Errorf("stderr of a build with the server down and no token (want 2 warnings):\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "0 failed") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	// --remote-cache=off overrides isobench.hcl: no server, no warning about it.
	if r := c.must(0, "build", "//commits:all", "--remote-cache=off"); strings.Contains(r.stderr, "warning") {
		t.Errorf("--remote-cache=off still used the remote:\n%s", r.stderr)
	}
	r = c.must(2, "build", "//commits:all", "--remote-cache", "cache.internal:8080")
	if !strings.Contains(r.stderr, "isobench: error: --remote-cache: the remote cache URL") {
		t.Errorf("a bad --remote-cache:\n%s", r.stderr)
	}
	writeFiles(t, ws, map[string]string{"isobench.hcl": "workspace {\n  remote_cache = \"ftp://cache\"\n}\n"})
	r = c.must(2, "build", "//commits:all")
	if !strings.Contains(r.stderr, "Invalid remote cache URL") || !strings.Contains(r.stderr, "isobench.hcl:2:18") {
		t.Errorf("a bad remote_cache in isobench.hcl:\n%s", r.stderr)
	}
}
