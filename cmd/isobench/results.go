package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/isobench/isobench/engine"
)

// resultRows asks the kinds that tabulate their results (engine.ResultTabler) about every
// action the build walked, in label order: the table a build ends with.
func resultRows(ws *engine.Workspace, all []*engine.Action, visits map[*engine.Action]*engine.Visit, blobs engine.Blobs) []engine.ResultRow {
	rows := []engine.ResultRow{} // [] in JSON when the build measured nothing
	for _, act := range all {
		t := ws.Targets[act.Label]
		if t == nil {
			continue
		}
		tabler, ok := ws.Kinds[t.Kind].(engine.ResultTabler)
		if !ok {
			continue
		}
		var o *engine.Outcome
		if v := visits[act]; v != nil {
			o = v.Outcome
		}
		row, ok := tabler.ResultRow(act, o, blobs)
		if !ok {
			continue
		}
		if o == nil {
			row.Status, row.Message = "not run", "the build stopped before it"
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Target < rows[j].Target })
	return rows
}

// printResults writes the result table: one line per benchmark with its verdict, speedup and
// interval, p-value and runs per side, or its failure class and message; then a line of
// verdict counts.
func printResults(w io.Writer, rows []engine.ResultRow) {
	if len(rows) == 0 {
		return
	}
	width := len("benchmark")
	for _, r := range rows {
		width = max(width, len(r.Target))
	}
	fmt.Fprintf(w, "\n%-*s  %-10s %9s  %-17s %8s  %s\n", width, "benchmark", "verdict", "speedup", "95% interval", "p", "runs")
	counts := map[string]int{}
	for _, r := range rows {
		outcome := r.Verdict
		if r.Status != engine.StatusOK {
			outcome = string(r.Status)
		}
		counts[outcome]++
		runs := fmt.Sprintf("%d+%d", r.BaseRuns, r.HeadRuns)
		if r.Status == engine.StatusOK {
			interval := ""
			if r.CILow != nil && r.CIHigh != nil {
				interval = "[" + ratioLike(r.CILow, r.Speedup) + ", " + ratioLike(r.CIHigh, r.Speedup) + "]"
			}
			speed := ratio(r.Speedup)
			if r.Speedup != nil {
				speed += "x"
			}
			fmt.Fprintf(w, "%-*s  %-10s %9s  %-17s %8s  %s%s\n", width, r.Target, outcome, speed, interval, pvalue(r.PValue), runs, cachedMark(r))
			continue
		}
		why := r.Message
		if r.Class != "" && r.Class != string(r.Status) {
			why = r.Class + ": " + why
		}
		fmt.Fprintf(w, "%-*s  %-10s %s%s\n", width, r.Target, outcome, oneLine(why, 100), cachedMark(r))
	}
	var parts []string
	for _, k := range []string{"improved", "regressed", "unchanged", "noisy", "failed", "skipped", "blocked", "not run"} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
			delete(counts, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	fmt.Fprintf(w, "%d benchmarks: %s", len(rows), strings.Join(parts, ", "))
	if hasFailure(rows) {
		fmt.Fprint(w, " (isobench log LABEL prints a failure's log)")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
}

func cachedMark(r engine.ResultRow) string {
	if r.Cached {
		return "  (cached)"
	}
	return ""
}

func hasFailure(rows []engine.ResultRow) bool {
	for _, r := range rows {
		if r.Status == engine.StatusFailed {
			return true
		}
	}
	return false
}

// ratio prints a speedup with the digits that matter: 291, 12.4, 1.004.
func ratio(x *float64) string { return ratioLike(x, x) }

// ratioLike prints x with the digits ratio gives ref (x's own when ref is nil), so an
// interval reads like its speedup.
func ratioLike(x, ref *float64) string {
	if x == nil || math.IsNaN(*x) || math.IsInf(*x, 0) {
		return "-"
	}
	if ref == nil {
		ref = x
	}
	switch {
	case *ref >= 100:
		return fmt.Sprintf("%.0f", *x)
	case *ref >= 10:
		return fmt.Sprintf("%.1f", *x)
	}
	return fmt.Sprintf("%.3f", *x)
}

func pvalue(p *float64) string {
	if p == nil || math.IsNaN(*p) {
		return "-"
	}
	if *p < 0.001 {
		return fmt.Sprintf("%.1e", *p)
	}
	return fmt.Sprintf("%.3f", *p)
}

// oneLine keeps the first line of a message, cut to n characters.
func oneLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > n {
		s = s[:n-3] + "..."
	}
	return s
}
