package benchmark

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/benchmark/stats"
)

// BenchmarkPreload measures what a run costs, from isobench asking for it to its result (the
// sandbox's setup, the process's start, its imports, the test, the output read), for a test
// that imports a module taking a second to import, as torch takes seconds: afresh, and forked
// from a preloading process. It prints one line per way, min and median of the runs:
//
//	go test ./rules/benchmark -run '^$' -bench Preload -benchtime 1x
//
// PRELOAD_RUNS (10) sets the runs of each, PRELOAD_IMPORT_SECONDS (1) the import's time.
func BenchmarkPreload(b *testing.B) {
	runs, importSeconds := 10, "1"
	if n, err := fmt.Sscan(os.Getenv("PRELOAD_RUNS"), &runs); n != 1 || err != nil {
		runs = 10
	}
	if s := os.Getenv("PRELOAD_IMPORT_SECONDS"); s != "" {
		importSeconds = s
	}
	py := machinePython()
	if py.path == "" {
		b.Skip(py.version)
	}
	dir := b.TempDir()
	mods := filepath.Join(dir, "mods")
	os.MkdirAll(mods, 0o755)
	engine.ShareWithSandboxes(b, mods)
	os.WriteFile(filepath.Join(mods, "slowmod.py"), []byte(slowModule), 0o644)
	script := filepath.Join(dir, "test", "benchmark.py")
	os.MkdirAll(filepath.Dir(script), 0o755)
	os.WriteFile(script, []byte("import slowmod\nprint('Execution time: 0.001s')\n"), 0o444)
	x := &engine.Exec{TempDir: dir, Log: io.Discard}
	side := func() *sideSetup {
		return &sideSetup{side: artifact.Base, path: py.path, args: []string{script}, path0: filepath.Dir(py.path),
			pythonPrefix: engine.InstallPrefix(py.path),
			vars:         map[string]string{"PYTHONPATH": mods, "SLOWMOD_LOG": filepath.Join(mods, "imports"), "SLOWMOD_SECONDS": importSeconds}}
	}
	ctx := context.Background()
	measure := func(s *sideSetup) []float64 { // seconds a run
		var took []float64
		for i := range runs {
			start := time.Now()
			res, err := s.exec(ctx, x, Run{Side: artifact.Base, Index: i}, time.Minute)
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("run %d: %v %+v", i, err, res)
			}
			took = append(took, time.Since(start).Seconds())
		}
		return took
	}
	for range b.N {
		fresh := measure(side())
		s := side()
		start := time.Now()
		pl, err := startPreloader(ctx, x, s, &Preload{Modules: []string{"slowmod"}})
		if err != nil {
			b.Fatal(err)
		}
		if res := pl.waitReady(ctx, time.Minute, &Preload{Modules: []string{"slowmod"}}); res != nil {
			b.Fatal(res.Message)
		}
		s.forks = pl
		ready := time.Since(start)
		forked := measure(s)
		pl.stop()
		med, fmed := stats.Median(fresh), stats.Median(forked)
		fmt.Printf("preload import_seconds=%s runs=%d fresh_min=%.3fs fresh_median=%.3fs forked_min=%.3fs forked_median=%.3fs preload_ready=%.3fs\n",
			importSeconds, runs, slices.Min(fresh), med, slices.Min(forked), fmed, ready.Seconds())
		b.ReportMetric(med, "fresh-median-s/run")
		b.ReportMetric(fmed, "forked-median-s/run")
	}
}
