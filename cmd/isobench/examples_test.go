package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The bundled examples stay valid: every one loads and plans, and the vLLM example answers
// status here, with no network, no GPU and no key (full SHAs need no Git).
func TestExamplesValidate(t *testing.T) {
	for _, name := range []string{"quickstart", "vllm", "serving"} {
		c := newCLI(t, filepath.Join("..", "..", "examples", name))
		if r := c.must(0, "validate"); !strings.Contains(r.stdout, ": ok") {
			t.Errorf("%s: validate said:\n%s", name, r.stdout)
		}
	}
	c := newCLI(t, filepath.Join("..", "..", "examples", "vllm"))
	r := c.must(2, "status", "--detailed-exitcode", "//benchmarks:all")
	if !strings.Contains(r.stdout, "stale    //benchmarks:perf.flash_attn_cpu") || !strings.Contains(r.stdout, "never built") {
		t.Errorf("status of the vLLM example:\n%s", r.stdout)
	}
}
