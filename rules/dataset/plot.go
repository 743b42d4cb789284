package dataset

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
)

// The plots are SVG drawn here, on the server side: the page needs no script to show them,
// prints as it looks, and the same records always give the same bytes.

// verdictColors are the marker colours (Tableau's, which stay apart for most colour-blind
// readers).
var verdictColors = map[string]string{
	"improved":  "#2ca02c",
	"regressed": "#d62728",
	"unchanged": "#7f7f7f",
	"noisy":     "#ff7f0e",
}

// Colours of records without a verdict: compared without one (blue), or not compared at
// all (grey).
const (
	neutralColor = "#1f77b4"
	absentColor  = "#9e9e9e"
)

func colorOf(r *Record) string {
	if r.Verdict != nil {
		if c, ok := verdictColors[*r.Verdict]; ok {
			return c
		}
	}
	if r.Status != "ok" {
		return absentColor
	}
	return neutralColor
}

// Geometry of the speedup plot, in SVG user units (pixels at 100% zoom).
const (
	rowHeight   = 22
	labelWidth  = 250
	plotWidth   = 500
	valueWidth  = 170
	plotTop     = 30
	plotPadding = 12
)

// speedupPlot draws one row per record: the speedup as a dot, its confidence interval as a
// whisker, on a logarithmic axis centred on 1 so that 2x faster and 2x slower lie equally
// far from "no change". Records without a speedup (failed, skipped) keep their row, with
// their outcome in words, so the plot accounts for every benchmark.
func speedupPlot(records []Record) string {
	lo, hi := axisRange(records)
	x := func(v float64) float64 {
		return labelWidth + plotPadding + (math.Log(v)-math.Log(lo))/(math.Log(hi)-math.Log(lo))*(plotWidth-2*plotPadding)
	}
	height := plotTop + rowHeight*len(records) + 30
	width := labelWidth + plotWidth + valueWidth
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="speedup-plot" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="Speedup of head over base per benchmark, with confidence intervals">`,
		width, height, width, height)
	bottom := plotTop + rowHeight*len(records)
	fmt.Fprintf(&b, `<rect class="frame" x="%d" y="%d" width="%d" height="%d" fill="#fafafa" stroke="#ddd"/>`, labelWidth, plotTop-8, plotWidth, bottom-plotTop+16)
	for _, t := range ticks(lo, hi, x) {
		tx := x(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e5e5e5"/>`, tx, plotTop-8, tx, bottom+8)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="#555">%s×</text>`, tx, bottom+22, trimFloat(t))
	}
	fmt.Fprintf(&b, `<line class="one" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#333" stroke-dasharray="4 3"/>`, x(1), plotTop-8, x(1), bottom+8)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#333">slower ←</text>`, labelWidth+4, plotTop-14)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#333" text-anchor="end">→ faster</text>`, labelWidth+plotWidth-4, plotTop-14)
	for i := range records {
		r := &records[i]
		y := plotTop + rowHeight*i + rowHeight/2
		fmt.Fprintf(&b, `<a href="#%s"><text x="%d" y="%d" font-size="12" text-anchor="end" fill="#06c">%s</text></a>`,
			recordID(i), labelWidth-8, y+4, html.EscapeString(shorten(r.Benchmark, 40)))
		if r.Speedup == nil {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#888">%s</text>`, labelWidth+plotPadding, y+4, html.EscapeString(OutcomeOf(r)))
			continue
		}
		color := colorOf(r)
		if r.CILow != nil && r.CIHigh != nil {
			x1, x2 := x(clamp(*r.CILow, lo, hi)), x(clamp(*r.CIHigh, lo, hi))
			fmt.Fprintf(&b, `<line class="ci" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"/>`, x1, y, x2, y, color)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"/>`, x1, y-5, x1, y+5, color)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"/>`, x2, y-5, x2, y+5, color)
		}
		fmt.Fprintf(&b, `<circle class="mark" data-verdict="%s" cx="%.1f" cy="%d" r="5" fill="%s"><title>%s: %s</title></circle>`,
			html.EscapeString(OutcomeOf(r)), x(clamp(*r.Speedup, lo, hi)), y, color, html.EscapeString(r.Benchmark), html.EscapeString(speedupText(r)))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#333">%s</text>`, labelWidth+plotWidth+8, y+4, html.EscapeString(speedupText(r)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// axisRange is the speedup axis: every speedup and interval bound, symmetric around 1 in log
// space, and at least 0.9 to 1.1 so that a plot of tiny changes does not magnify noise.
func axisRange(records []Record) (lo, hi float64) {
	d := math.Log(1.1)
	for i := range records {
		for _, p := range []*float64{records[i].Speedup, records[i].CILow, records[i].CIHigh} {
			if p != nil && *p > 0 && !math.IsInf(*p, 0) {
				d = math.Max(d, math.Abs(math.Log(*p))*1.08)
			}
		}
	}
	d = math.Min(d, math.Log(1000)) // a broken measurement must not squash every other row
	return math.Exp(-d), math.Exp(d)
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// ticks picks round speedups inside the axis, 1 always, and others outwards from it as long
// as their labels stay apart on screen (x maps a speedup to its position).
func ticks(lo, hi float64, x func(float64) float64) []float64 {
	const minGap = 44
	below := []float64{0.95, 0.9, 0.8, 0.67, 0.5, 0.25, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001}
	above := []float64{1.05, 1.1, 1.25, 1.5, 2, 4, 5, 10, 20, 50, 100, 200, 500, 1000}
	out := []float64{1}
	for _, side := range [][]float64{below, above} {
		last := x(1)
		for _, t := range side {
			if t < lo || t > hi {
				continue
			}
			if p := x(t); math.Abs(p-last) >= minGap {
				out = append(out, t)
				last = p
			}
		}
	}
	sort.Float64s(out)
	return out
}

// distributionPlot draws every sample of both sides as dots on one linear axis, with each
// side's median as a bar, so a reader sees spread and overlap, not just two numbers.
func distributionPlot(r *Record) string {
	var all []float64
	for _, side := range [][]*float64{r.BasePerformance, r.HeadPerformance} {
		for _, v := range side {
			if v != nil {
				all = append(all, *v)
			}
		}
	}
	if len(all) == 0 {
		return ""
	}
	sort.Float64s(all)
	lo, hi := all[0], all[len(all)-1]
	if lo == hi {
		lo, hi = lo-math.Max(math.Abs(lo)*0.05, 1e-9), hi+math.Max(math.Abs(hi)*0.05, 1e-9)
	}
	const width, left, right, rowH = 640, 60, 20, 26
	x := func(v float64) float64 { return left + (v-lo)/(hi-lo)*(width-left-right) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="dist" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="Samples at base and head">`,
		width, 2*rowH+26, width, 2*rowH+26)
	for row, side := range []struct {
		name   string
		values []*float64
		median *float64
		color  string
	}{{"base", r.BasePerformance, r.BaseMedian, "#888"}, {"head", r.HeadPerformance, r.HeadMedian, colorOf(r)}} {
		y := 14 + rowH*row
		fmt.Fprintf(&b, `<text x="4" y="%d" font-size="11" fill="#333">%s</text>`, y+4, side.name)
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#eee"/>`, left, y, width-right, y)
		for i, v := range side.values {
			if v == nil {
				continue
			}
			jitter := (i%5 - 2) * 2 // spread equal values apart, the same way every time
			fmt.Fprintf(&b, `<circle class="sample" cx="%.1f" cy="%d" r="3" fill="%s" fill-opacity="0.7"><title>%s #%d: %s</title></circle>`,
				x(*v), y+jitter, side.color, side.name, i, trimFloat(*v))
		}
		if side.median != nil {
			mx := x(clamp(*side.median, lo, hi))
			fmt.Fprintf(&b, `<line class="median" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000" stroke-width="2"><title>median %s</title></line>`,
				mx, y-9, mx, y+9, trimFloat(*side.median))
		}
	}
	unit := ""
	if r.Unit != nil {
		unit = " " + *r.Unit
	}
	axisY := 2*rowH + 20
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="#555">%s%s</text>`, left, axisY, trimFloat(lo), html.EscapeString(unit))
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="#555" text-anchor="end">%s%s</text>`, width-right, axisY, trimFloat(hi), html.EscapeString(unit))
	b.WriteString(`</svg>`)
	return b.String()
}

// speedupText is "1.25× [1.10, 1.40]".
func speedupText(r *Record) string {
	if r.Speedup == nil {
		return ""
	}
	s := fmt.Sprintf("%.3f×", *r.Speedup)
	if r.CILow != nil && r.CIHigh != nil {
		s += fmt.Sprintf(" [%.3f, %.3f]", *r.CILow, *r.CIHigh)
	}
	return s
}

func trimFloat(v float64) string { return fmt.Sprintf("%.4g", v) }

func shorten(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return "…" + string([]rune(s)[len([]rune(s))-n+1:])
}
