package benchmark

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

var _ engine.ResultTabler = Kind{}

// ResultRow describes a finished measurement as a row of the table a build ends with. The
// record is the measurement output when the comparison completed, the failure's Meta when it
// did not (so a failed row still counts the runs made), and nothing for a skip decided before
// running.
func (Kind) ResultRow(a *engine.Action, o *engine.Outcome, blobs engine.Blobs) (engine.ResultRow, bool) {
	if a.Mnemonic != "measure" {
		return engine.ResultRow{}, false
	}
	row := engine.ResultRow{Target: a.Label.String()}
	if o == nil {
		return row, true
	}
	row.Status, row.Class, row.Message, row.Cached = o.Status, o.Class, o.Message, o.Cached
	var rec artifact.Measurement
	if data := recordJSON(o, blobs); len(data) == 0 || json.Unmarshal(data, &rec) != nil {
		return row, true
	}
	row.Commit = rec.Commit
	row.BaseRuns, row.HeadRuns = len(rec.BaseValues), len(rec.HeadValues)
	if v := rec.Variant; v != nil {
		// A variant's unit: its row is the variant over base; how it fared against the human's
		// head is said in its name, so the verdicts column still counts verdicts over base.
		row.Target += " variant " + v.Name
		row.HeadRuns = len(v.Values)
		if s := v.OverBase; o.Status == engine.StatusOK && s != nil {
			row.Target += " (vs head: " + v.AgainstHuman + ")"
			row.Verdict, row.Speedup, row.CILow, row.CIHigh, row.PValue = s.Verdict, s.Speedup, s.CILow, s.CIHigh, s.PValue
		}
		return row, true
	}
	if o.Status == engine.StatusOK {
		s := rec.Stats
		row.Verdict, row.Speedup, row.CILow, row.CIHigh, row.PValue = s.Verdict, s.Speedup, s.CILow, s.CIHigh, s.PValue
	}
	return row, true
}

// recordJSON is a finished measurement's record: its output when the comparison completed,
// the failure's Meta when it did not.
func recordJSON(o *engine.Outcome, blobs engine.Blobs) []byte {
	if d, ok := o.Outputs[artifact.MeasurementOutput]; ok && blobs != nil {
		if data, err := blobs.Get(d); err == nil {
			return data
		}
	}
	return o.Meta
}

var _ engine.LogFilter = Kind{}

// FilterLog keeps, of a measure log, the lines about the runs asked for (the side, and run n
// of it counting warmups first, as the log numbers them: "[3/8] base sample 2: ...", "---
// output of the base run 2 (sample)" up to its closing "---"), with the lines about the
// measurement as a whole (its plan, its verdict).
func (Kind) FilterLog(a *engine.Action, log []byte, side string, run int) []byte {
	if a.Mnemonic != "measure" || (side == "" && run == 0) {
		return log
	}
	about := func(s string, n int) bool {
		return (side == "" || s == side) && (run == 0 || n == run)
	}
	var out []byte
	inBlock, keepBlock := false, false
	for _, line := range strings.SplitAfter(string(log), "\n") {
		keep := true
		switch {
		case inBlock:
			keep = keepBlock
			if strings.TrimSpace(line) == "---" {
				inBlock = false
			}
		case strings.HasPrefix(line, "--- output of the "):
			var s string
			var n int
			fmt.Sscanf(strings.TrimPrefix(line, "--- output of the "), "%s run %d", &s, &n)
			inBlock, keepBlock = true, about(s, n)
			keep = keepBlock
		case strings.HasPrefix(line, "["):
			var i, total, n int
			var s, kind string
			if c, _ := fmt.Sscanf(line, "[%d/%d] %s %s %d:", &i, &total, &s, &kind, &n); c == 5 {
				keep = about(s, n)
			}
		}
		if keep {
			out = append(out, line...)
		}
	}
	return out
}
