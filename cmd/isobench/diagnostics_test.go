package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// A diagnostic on a line of megabytes quotes a window around the column, with the caret under
// the mistake, not the whole line.
func TestDiagnosticOnALongLine(t *testing.T) {
	line := strings.Repeat("a", 3<<20) + "BAD" + strings.Repeat("b", 1000)
	col := 3<<20 + 1
	files := map[string][]byte{"BUILD.hcl": []byte("x = 1\n" + line + "\n")}
	rng := hcl.Range{Filename: "BUILD.hcl", Start: hcl.Pos{Line: 2, Column: col}, End: hcl.Pos{Line: 2, Column: col + 3}}
	var out bytes.Buffer
	printDiagnostics(&out, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Bad thing", Subject: &rng}}, files)
	if out.Len() > 1024 {
		t.Fatalf("the diagnostic is %d bytes long", out.Len())
	}
	lines := strings.Split(out.String(), "\n")
	quoted, carets := lines[1], lines[2]
	at := strings.Index(carets, "^^^")
	if at < 0 || quoted[at:at+3] != "BAD" {
		t.Errorf("the caret does not point at the mistake:\n%s", out.String())
	}
}
