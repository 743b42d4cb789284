package commitsearch

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// listColumns are the columns of the commit list, in order. `name` is the short SHA, which
// makes a for_each key and a target name (//commits:perf.<name>); `base` is the first parent,
// what a commit target compares with by default.
var listColumns = []string{"name", "sha", "base", "date", "author", "subject", "keyword", "files", "lines", "by", "reason", "apis"}

// listRow is one selected commit as the JSON list holds it; the CSV has the same fields, with
// the APIs joined by "; ".
type listRow struct {
	Name    string   `json:"name"`
	SHA     string   `json:"sha"`
	Base    string   `json:"base"`
	Date    string   `json:"date"`
	Author  string   `json:"author"`
	Subject string   `json:"subject"`
	Keyword string   `json:"keyword"`
	Files   int      `json:"files"`
	Lines   int      `json:"lines"`
	By      string   `json:"by"`
	Reason  string   `json:"reason"`
	APIs    []string `json:"apis"`
}

// encodeList writes the selected commits, newest first as git log lists them (included
// commits from outside the range last), in the target's format.
func encodeList(rec *artifact.SearchRecord, format Format) ([]byte, error) {
	rows := []listRow{}
	for _, d := range rec.Decisions {
		if !d.Selected {
			continue
		}
		rows = append(rows, listRow{Name: d.SHA[:12], SHA: d.SHA, Base: d.Base, Date: d.Date, Author: d.Author,
			Subject: d.Subject, Keyword: d.Keyword, Files: d.Files, Lines: d.Lines, By: d.By, Reason: d.Reason, APIs: d.APIs})
	}
	if format == FormatJSON {
		data, err := json.MarshalIndent(rows, "", "  ")
		return append(data, '\n'), err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(listColumns)
	for _, r := range rows {
		w.Write([]string{r.Name, r.SHA, r.Base, r.Date, r.Author, r.Subject, r.Keyword, strconv.Itoa(r.Files),
			strconv.Itoa(r.Lines), r.By, r.Reason, strings.Join(r.APIs, "; ")})
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// funnelLine is the funnel in one line, the search's message.
func funnelLine(f *artifact.Funnel, model bool) string {
	s := fmt.Sprintf("%d scanned, %d matched keywords, %d passed filters", f.Scanned, f.Keywords, f.Candidates)
	if model {
		s += fmt.Sprintf(", %d accepted by the model", f.Accepted)
	}
	return s + fmt.Sprintf(", %d selected", f.Selected)
}

// writeFunnel prints the funnel as a table: each stage with its count, then every reason a
// commit fell out, most frequent first.
func writeFunnel(w io.Writer, f *artifact.Funnel, model bool) {
	fmt.Fprintf(w, "funnel:\n")
	fmt.Fprintf(w, "  %7d scanned\n", f.Scanned)
	fmt.Fprintf(w, "  %7d matched the keywords\n", f.Keywords)
	fmt.Fprintf(w, "  %7d passed the path and size filters\n", f.Candidates)
	if model {
		fmt.Fprintf(w, "  %7d accepted by the model\n", f.Accepted)
	}
	fmt.Fprintf(w, "  %7d selected (after the exclude and include lists)\n", f.Selected)
	reasons := make([]string, 0, len(f.Rejected))
	for r := range f.Rejected {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		a, b := reasons[i], reasons[j]
		if f.Rejected[a] != f.Rejected[b] {
			return f.Rejected[a] > f.Rejected[b]
		}
		return a < b
	})
	if len(reasons) > 0 {
		fmt.Fprintf(w, "set aside:\n")
	}
	for _, r := range reasons {
		fmt.Fprintf(w, "  %7d %s\n", f.Rejected[r], r)
	}
}

// writeAtomic writes a file whole (engine.WriteFileAtomic), so the next build's loader never
// reads half a list; a file that already holds the bytes is left alone.
func writeAtomic(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return engine.WriteFileAtomic(path, data)
}
