package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/isobench/isobench/engine"
)

// printDiagnostics renders HCL diagnostics as file:line:col, the sentence, and the source
// line with a caret, the way compilers do.
func printDiagnostics(w io.Writer, diags hcl.Diagnostics, files map[string][]byte) {
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		if d.Subject != nil {
			fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, sev, d.Summary)
		} else {
			fmt.Fprintf(w, "isobench: %s: %s\n", sev, d.Summary)
		}
		if d.Detail != "" {
			fmt.Fprintf(w, "  %s\n", d.Detail)
		}
		if d.Subject != nil {
			if line, ok := sourceLine(files[d.Subject.Filename], d.Subject.Start.Line); ok {
				// A long line (minified or generated HCL) is quoted as a window around the
				// column, so that one diagnostic never prints megabytes.
				window, caret := engine.SourceWindow(line, d.Subject.Start.Column, sourceWindowWidth)
				fmt.Fprintf(w, "  %4d | %s\n", d.Subject.Start.Line, window)
				width := 1
				if d.Subject.End.Line == d.Subject.Start.Line && d.Subject.End.Column > d.Subject.Start.Column {
					width = d.Subject.End.Column - d.Subject.Start.Column
				}
				width = max(1, min(width, len([]rune(window))-caret+1))
				fmt.Fprintf(w, "       | %s%s\n", strings.Repeat(" ", max(0, caret-1)), strings.Repeat("^", width))
			}
		}
	}
}

// sourceWindowWidth is how much of a source line a diagnostic quotes: a line of a hand-written
// BUILD file fits whole.
const sourceWindowWidth = 160

func sourceLine(src []byte, n int) (string, bool) {
	if src == nil || n < 1 {
		return "", false
	}
	lines := strings.Split(string(src), "\n")
	if n > len(lines) {
		return "", false
	}
	return strings.ReplaceAll(lines[n-1], "\t", " "), true
}
