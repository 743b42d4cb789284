package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
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
				fmt.Fprintf(w, "  %4d | %s\n", d.Subject.Start.Line, line)
				width := 1
				if d.Subject.End.Line == d.Subject.Start.Line && d.Subject.End.Column > d.Subject.Start.Column {
					width = d.Subject.End.Column - d.Subject.Start.Column
				}
				fmt.Fprintf(w, "       | %s%s\n", strings.Repeat(" ", max(0, d.Subject.Start.Column-1)), strings.Repeat("^", width))
			}
		}
	}
}

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
