package main

import (
	"path/filepath"
	"testing"

	"github.com/isobench/isobench/cache/remotetest"
)

// The remote cache's story on the quickstart: a second machine (another checkout, a fresh
// per-user cache) with no API key and no GPU rebuilds the dataset another machine built,
// executes nothing, asks no model, and writes byte-identical files.
func TestRemoteCacheStory(t *testing.T) {
	srv := remotetest.Start(t)
	llm := newStoryLLM(t)
	vars := []string{"--var", "llm_base_url=" + llm.URL + "/v1", "--var", "samples=3", "--remote-cache", srv.URL}

	wsA := filepath.Join(t.TempDir(), "quickstart")
	copyTree(t, filepath.Join("..", "..", "examples", "quickstart"), wsA)
	a := newCLI(t, wsA)
	a.env = append(a.env, "OPENAI_API_KEY="+storyAPIKey)
	first := parseStorySummary(t, a.must(0, append([]string{"build", "//dataset:all", "--json"}, vars...)...))
	if first.Executed == 0 || first.Failed != 0 {
		t.Fatalf("first machine: %+v", first)
	}
	requests := llm.count()

	wsB := filepath.Join(t.TempDir(), "quickstart")
	copyTree(t, filepath.Join("..", "..", "examples", "quickstart"), wsB)
	b := newCLI(t, wsB)
	t.Setenv("OPENAI_API_KEY", "") // and none is passed to the second machine
	second := parseStorySummary(t, b.must(0, append([]string{"build", "//dataset:all", "--json"}, vars...)...))
	if second.Executed != 0 || second.Failed != 0 {
		t.Fatalf("second machine executed %d actions (%+v); want every result from the remote", second.Executed, second)
	}
	if n := llm.count(); n != requests {
		t.Errorf("the second machine sent %d requests to the model", n-requests)
	}
	out := filepath.Join("isobench-out", "dataset", "quickstart")
	sameFiles(t, snapshot(t, filepath.Join(wsA, out)), snapshot(t, filepath.Join(wsB, out)))
}
