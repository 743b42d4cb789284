package dataset

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The Parquet file is written by parquet-go and read back by it in the other tests; a
// second, independent reader checks that what it writes is what other tools read. hyparquet
// is a maintained, dependency-free JavaScript reader (the Hugging Face Hub's dataset viewer
// family uses it), installed from npm by the test into the user's cache the first time.
// Neither pyarrow nor DuckDB is packaged for Debian 12. Without node and npm, or without
// the registry, the test skips and says why.
const hyparquetVersion = "1.31.5"

// readParquetWithHyparquet returns the rows of a Parquet file as hyparquet reads them, with
// 64-bit integers as JSON numbers.
func readParquetWithHyparquet(t *testing.T, path string) []map[string]any {
	t.Helper()
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		t.Skip("node and npm are needed for the second Parquet reader (hyparquet)")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = t.TempDir()
	}
	dir := filepath.Join(cache, "isobench-test", "hyparquet-"+hyparquetVersion)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "hyparquet", "package.json")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", dir,
			"hyparquet@"+hyparquetVersion).CombinedOutput()
		if err != nil {
			t.Skipf("hyparquet could not be installed from npm (%v): %s", err, out)
		}
	}
	script := `
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
const file = await asyncBufferFromFile(process.argv[2])
const rows = await parquetReadObjects({ file })
process.stdout.write(JSON.stringify(rows, (k, v) => typeof v === 'bigint' ? Number(v) : v))
`
	scriptPath := filepath.Join(dir, "read.mjs")
	if err := os.WriteFile(scriptPath, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, scriptPath, path)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("hyparquet could not read %s: %v\n%s", path, err, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("hyparquet's output is not JSON: %v", err)
	}
	return rows
}
