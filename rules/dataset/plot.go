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

// Geometry of the plots, in SVG user units. The SVGs scale to the width of the page (up to
// maxPlotWidth CSS pixels, page.go) and keep their proportions, so they are drawn narrow:
// on a phone 440 units become about 370 pixels and a 12-unit font stays readable, and
// nothing needs scrolling sideways. Each row of the speedup plot puts its label and value
// on a line of their own above the whisker, so long labels take no width from the axis.
const (
	plotWidth   = 440
	plotLeft    = 8
	plotRight   = 8
	rowHeight   = 36
	plotTop     = 26
	plotPadding = 10
)

// speedupPlot draws two lines per record: the benchmark (a link to its card) and the speedup
// with its interval, then the speedup as a dot and its confidence interval as a whisker on a
// logarithmic axis, so that 2x faster and 2x slower lie equally far from "no change". The
// axis spans the data and 1, not more. Records without a speedup (failed, skipped) keep
// their row, with their outcome in words, so the plot accounts for every benchmark.
func speedupPlot(records []Record) string {
	lo, hi := axisRange(records)
	x := func(v float64) float64 {
		return plotLeft + plotPadding + (math.Log(v)-math.Log(lo))/(math.Log(hi)-math.Log(lo))*(plotWidth-plotLeft-plotRight-2*plotPadding)
	}
	bottom := plotTop + rowHeight*len(records)
	height := bottom + 28
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="speedup-plot" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="Speedup of head over base per benchmark, with confidence intervals">`,
		plotWidth, height, plotWidth, height)
	fmt.Fprintf(&b, `<rect class="frame" x="%d" y="%d" width="%d" height="%d" fill="#fafafa" stroke="#ddd"/>`, plotLeft, plotTop-6, plotWidth-plotLeft-plotRight, bottom-plotTop+12)
	for _, t := range ticks(lo, hi, x) {
		tx := x(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e5e5e5"/>`, tx, plotTop-6, tx, bottom+6)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="#555">%s×</text>`, tx, bottom+20, trimFloat(t))
	}
	fmt.Fprintf(&b, `<line class="one" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#333" stroke-dasharray="4 3"/>`, x(1), plotTop-6, x(1), bottom+6)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#333">← slower</text>`, plotLeft, plotTop-10)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#333" text-anchor="end">faster →</text>`, plotWidth-plotRight, plotTop-10)
	for i := range records {
		r := &records[i]
		top := plotTop + rowHeight*i
		y := top + 24
		fmt.Fprintf(&b, `<a href="#%s"><text x="%d" y="%d" font-size="12" fill="#06c">%s</text></a>`,
			recordID(i), plotLeft+4, top+11, html.EscapeString(shorten(r.Benchmark, 34)))
		if r.Speedup == nil {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#888">%s</text>`, plotLeft+plotPadding, y+4, html.EscapeString(OutcomeOf(r)))
			continue
		}
		color := colorOf(r)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#333" text-anchor="end">%s</text>`, plotWidth-plotRight-4, top+11, html.EscapeString(speedupText(r.Speedup, r.CILow, r.CIHigh)))
		if r.CILow != nil && r.CIHigh != nil {
			x1, x2 := x(clamp(*r.CILow, lo, hi)), x(clamp(*r.CIHigh, lo, hi))
			fmt.Fprintf(&b, `<line class="ci" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"/>`, x1, y, x2, y, color)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"/>`, x1, y-5, x1, y+5, color)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"/>`, x2, y-5, x2, y+5, color)
		}
		fmt.Fprintf(&b, `<circle class="mark" data-verdict="%s" cx="%.1f" cy="%d" r="5" fill="%s"><title>%s: %s</title></circle>`,
			html.EscapeString(OutcomeOf(r)), x(clamp(*r.Speedup, lo, hi)), y, color, html.EscapeString(r.Benchmark), html.EscapeString(speedupText(r.Speedup, r.CILow, r.CIHigh)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// axisRange is the speedup axis: from the smallest to the largest speedup or interval bound,
// 1 included, with a margin, and at least 0.9 to 1.1 so that a plot of tiny changes does not
// magnify noise. A bound beyond 1000x either way is clamped: a broken measurement must not
// squash every other row.
func axisRange(records []Record) (lo, hi float64) {
	min, max := math.Log(1/1.1), math.Log(1.1)
	for i := range records {
		for _, p := range []*float64{records[i].Speedup, records[i].CILow, records[i].CIHigh} {
			if p != nil && *p > 0 && !math.IsInf(*p, 0) && !math.IsNaN(*p) {
				min, max = math.Min(min, math.Log(*p)), math.Max(max, math.Log(*p))
			}
		}
	}
	min, max = math.Max(min, math.Log(1e-3)), math.Min(max, math.Log(1e3))
	margin := (max - min) * 0.06
	return math.Exp(min - margin), math.Exp(max + margin)
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// ticks picks round speedups inside the axis, 1 always, and others outwards from it as long
// as their labels stay apart on screen (x maps a speedup to its position).
func ticks(lo, hi float64, x func(float64) float64) []float64 {
	const minGap = 40
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

// distributionPlot draws every sample of both sides as dots, with each side's median as a
// bar, so a reader sees spread and overlap, not just two numbers. The axis is logarithmic
// when the samples span more than a factor of 3 (a 500x speedup would otherwise put every
// head sample in one dot), linear otherwise, with round ticks either way, and titled with
// the metric, its unit and the runs per side.
func distributionPlot(r *Record) string {
	var all []float64
	count := [2]int{}
	for i, side := range [][]*float64{r.BasePerformance, r.HeadPerformance} {
		for _, v := range side {
			if v != nil {
				all = append(all, *v)
				count[i]++
			}
		}
	}
	if len(all) == 0 {
		return ""
	}
	sort.Float64s(all)
	lo, hi := all[0], all[len(all)-1]
	logScale := lo > 0 && hi/lo > 3
	if lo == hi {
		lo, hi = lo-math.Max(math.Abs(lo)*0.05, 1e-9), hi+math.Max(math.Abs(hi)*0.05, 1e-9)
	}
	const left, right, rowH, top = 40, 12, 24, 18
	scale := func(v float64) float64 { return v }
	if logScale {
		scale = math.Log
	}
	span := scale(hi) - scale(lo)
	lo2, hi2 := scale(lo)-span*0.04, scale(hi)+span*0.04
	x := func(v float64) float64 { return left + (scale(v)-lo2)/(hi2-lo2)*(plotWidth-left-right) }
	height := top + 2*rowH + 22
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="dist" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="Samples at base and head">`,
		plotWidth, height, plotWidth, height)
	unit := ""
	if r.Unit != nil && *r.Unit != "" {
		unit = " (" + *r.Unit + ")"
	}
	axis := "linear axis"
	if logScale {
		axis = "logarithmic axis"
	}
	fmt.Fprintf(&b, `<text class="dist-title" x="%d" y="12" font-size="11" fill="#555">%s%s · %d base and %d head runs · %s</text>`,
		4, html.EscapeString(deref(r.Metric)), html.EscapeString(unit), count[0], count[1], axis)
	for row, side := range []struct {
		name   string
		values []*float64
		median *float64
		color  string
	}{{"base", r.BasePerformance, r.BaseMedian, "#888"}, {"head", r.HeadPerformance, r.HeadMedian, colorOf(r)}} {
		y := top + 12 + rowH*row
		fmt.Fprintf(&b, `<text x="4" y="%d" font-size="11" fill="#333">%s</text>`, y+4, side.name)
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#eee"/>`, left, y, plotWidth-right, y)
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
	axisY := top + 2*rowH + 16
	for _, t := range valueTicks(lo, hi, logScale, x) {
		tx := x(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ccc"/>`, tx, axisY-12, tx, axisY-8)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" fill="#555" text-anchor="middle">%s</text>`, tx, axisY, trimFloat(t))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// valueTicks picks round values (1, 2 and 5 times a power of ten) inside [lo, hi], as many as
// fit apart on screen.
func valueTicks(lo, hi float64, logScale bool, x func(float64) float64) []float64 {
	const minGap = 46
	var candidates []float64
	if logScale {
		for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
			for _, m := range []float64{1, 2, 5} {
				candidates = append(candidates, m*math.Pow(10, e))
			}
		}
	} else {
		step := math.Pow(10, math.Floor(math.Log10((hi-lo)/4)))
		for _, m := range []float64{1, 2, 5, 10} {
			if (hi-lo)/(m*step) <= 6 {
				step *= m
				break
			}
		}
		for v := math.Ceil(lo/step) * step; v <= hi; v += step {
			candidates = append(candidates, math.Round(v/step)*step)
		}
	}
	var out []float64
	last := math.Inf(-1)
	for _, t := range candidates {
		if t < lo || t > hi {
			continue
		}
		if p := x(t); p-last >= minGap {
			out = append(out, t)
			last = p
		}
	}
	return out
}

// speedupText is "1.250× [1.100, 1.400]", or "496× [333, 582]": digits by the speedup's size.
// The interval is left out when either end is missing; "" when the speedup is.
func speedupText(x, lo, hi *float64) string {
	if x == nil {
		return ""
	}
	f := "%.3f"
	switch {
	case *x >= 100:
		f = "%.0f"
	case *x >= 10:
		f = "%.1f"
	}
	s := fmt.Sprintf(f+"×", *x)
	if lo != nil && hi != nil {
		s += fmt.Sprintf(" ["+f+", "+f+"]", *lo, *hi)
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
