// Command searchbench measures a commit search over a repository of 10,000 commits without a
// model: the scan (one git log over the range, the filters, the facts of the candidates) and
// the search that writes the list. It makes the repository with git fast-import (about 6% of
// the messages hold a performance keyword, some of those change too many files or lines),
// builds once (cloning the mirror), then executes the search again with --rerun and times
// each build, and finally times null builds. It prints
//
//	searchbench commits=N candidates=C first_s=F rerun_min_s=A rerun_median_s=B null_min_s=X null_median_s=Y
//
// where the rerun and null figures are the min and median of -runs builds of one process run.
//
// With -model, the search also asks a classifier about every candidate: an OpenAI-compatible
// endpoint this process serves over real HTTP (it answers at once, so the figures are
// isobench's own cost), and the line adds the requests of the first build and of a rebuild.
// Reruns are then left out (--rerun asks every question again), and the null builds include
// rendering every candidate's prompt.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/isobench/isobench/scripts/internal/bench"
)

func main() {
	bin := flag.String("isobench", "bin/isobench", "the isobench binary to measure")
	n := flag.Int("n", 10000, "commits in the repository")
	runs := flag.Int("runs", 7, "builds timed for each figure")
	keep := flag.Bool("keep", false, "keep the temporary workspace")
	model := flag.Bool("model", false, "classify the candidates with a model served here")
	flag.Parse()
	binary, err := filepath.Abs(*bin)
	bench.Check(err)
	dir, err := os.MkdirTemp("", "isobench-searchbench-")
	bench.Check(err)
	if !*keep {
		defer os.RemoveAll(dir)
	}
	repo := filepath.Join(dir, "repo")
	makeRepo(repo, *n)
	ws := filepath.Join(dir, "ws")
	endpoint := ""
	var requests *atomic.Int64
	if *model {
		endpoint, requests = serveClassifier()
	}
	writeWorkspace(ws, repo, endpoint)
	env := append(os.Environ(), "ISOBENCH_HOME="+filepath.Join(dir, "home"))

	first := build(binary, ws, env)
	log.Printf("first build (clone and scan): %.2fs\n%s", first.Seconds, first.Out)
	nullBuild := func() bench.Result {
		r := build(binary, ws, env)
		if !strings.Contains(r.Out, " 0 executed") {
			log.Fatalf("the null build executed something:\n%s", r.Out)
		}
		return r
	}
	if *model {
		asked := requests.Swap(0)
		null := bench.Repeat(*runs, nullBuild)
		fmt.Printf("searchbench commits=%d model=yes first_s=%.3f first_requests=%d rebuild_requests=%d null_min_s=%.3f null_median_s=%.3f\n",
			*n, first.Seconds, asked, requests.Load(), null.Min, null.Median)
		return
	}
	rerun := bench.Repeat(*runs, func() bench.Result {
		r := build(binary, ws, env, "--rerun", "//mining:s")
		if !strings.Contains(r.Out, "2 executed") {
			log.Fatalf("the rerun did not execute the scan and the search:\n%s", r.Out)
		}
		return r
	})
	null := bench.Repeat(*runs, nullBuild)
	list, err := os.ReadFile(filepath.Join(ws, "mining", "perf_commits.csv"))
	bench.Check(err)
	candidates := strings.Count(string(list), "\n") - 1
	logCmd := exec.Command(binary, "-C", ws, "log", "//mining:s")
	logCmd.Env = env
	logOut, _ := logCmd.CombinedOutput()
	if m := regexp.MustCompile(`(?m)^scanned .*$`).Find(logOut); m != nil {
		log.Printf("last scan: %s", m)
	}
	fmt.Printf("searchbench commits=%d candidates=%d first_s=%.3f rerun_min_s=%.3f rerun_median_s=%.3f null_min_s=%.3f null_median_s=%.3f\n",
		*n, candidates, first.Seconds, rerun.Min, rerun.Median, null.Min, null.Median)
}

// makeRepo writes n commits with git fast-import. Every 16th commit's message holds a
// keyword; of those, every 5th changes 15 files and every 7th 600 lines, so the size filters
// have work; every 9th commit changes only documentation.
func makeRepo(dir string, n int) {
	var stream bytes.Buffer
	for i := 1; i <= n; i++ {
		msg := fmt.Sprintf("Refactor module %d\n\nMove code around.\n", i)
		files := map[string]string{fmt.Sprintf("vllm/m%d.py", i%200): fmt.Sprintf("x = %d\n", i)}
		switch {
		case i%16 == 0:
			msg = fmt.Sprintf("Speed up the scheduler (%d)\n\nAvoid a copy per step.\n", i)
			if i%5 == 0 {
				for k := 0; k < 15; k++ {
					files[fmt.Sprintf("vllm/wide/f%d.py", k)] = fmt.Sprintf("y = %d\n", i)
				}
			}
			if i%7 == 0 {
				files["vllm/big.py"] = strings.Repeat(fmt.Sprintf("row %d\n", i), 600)
			}
		case i%9 == 0:
			files = map[string]string{"docs/index.md": fmt.Sprintf("# docs %d\n", i)}
		}
		fmt.Fprintf(&stream, "commit refs/heads/main\nmark :%d\nauthor Bench <bench@example.com> %d +0000\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s\n",
			i, 1700000000+60*i, 1700000000+60*i, len(msg), msg)
		if i > 1 {
			fmt.Fprintf(&stream, "from :%d\n", i-1)
		}
		paths := make([]string, 0, len(files))
		for p := range files {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprintf(&stream, "M 644 inline %s\ndata %d\n%s\n", p, len(files[p]), files[p])
		}
	}
	bench.FastImport(dir, &stream)
}

// serveClassifier serves an OpenAI-compatible endpoint that calls a commit a performance
// commit when its prompt says "Speed up", and counts the requests.
func serveClassifier() (string, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		var req struct {
			Model    string
			Messages []struct{ Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		perf := strings.Contains(req.Messages[len(req.Messages)-1].Content, "Speed up")
		answer := fmt.Sprintf(`{"performance": %t, "reason": "judged by the subject", "apis": []}`, perf)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]string{"role": "assistant", "content": answer}}},
			"usage": map[string]int{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}})
	}))
	return srv.URL + "/v1", &n
}

func writeWorkspace(ws, repo, endpoint string) {
	for _, d := range []string{"repos", "mining", "gen"} {
		bench.Check(os.MkdirAll(filepath.Join(ws, d), 0o755))
	}
	write := func(name, content string) { bench.Check(os.WriteFile(filepath.Join(ws, name), []byte(content), 0o644)) }
	write("isobench.hcl", "workspace {\n  name = \"searchbench\"\n}\n")
	write("repos/BUILD.hcl", fmt.Sprintf("repo \"r\" {\n  url = %q\n}\n", repo))
	generator := ""
	if endpoint != "" {
		write("gen/BUILD.hcl", fmt.Sprintf(`generator "judge" {
  base_url    = %q
  model       = "judge"
  prompt      = "Is this a performance commit?\n${commit.subject}\n${commit.message}\n${commit.diffstat}\n${commit.diff}"
  concurrency = 8
}
`, endpoint))
		generator = "  generator     = \"//gen:judge\"\n"
	}
	write("mining/BUILD.hcl", `commit_search "s" {
  repo          = "//repos:r"
  to            = "main"
  paths         = ["vllm/**"]
  exclude_paths = ["docs/**"]
  max_files     = 10
  max_lines     = 500
`+generator+`  output        = "perf_commits.csv"
}
`)
}

// build runs one build of the search.
func build(bin, ws string, env []string, args ...string) bench.Result {
	return bench.Run(bin, ws, env, append([]string{"build", "//mining:s"}, args...))
}
