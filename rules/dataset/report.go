package dataset

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
)

// The report is one self-contained HTML page about a built dataset: a summary of outcomes,
// a plot of every speedup with its confidence interval, the samples of each benchmark, the
// hardware, and the logs of the actions behind each record, embedded and linked by anchors;
// a serving benchmark's server logs, too many to embed, are files beside it (servers.go).
//
// The page loads nothing from anywhere (no fonts, scripts or styles from a network), so it
// can be mailed, archived or opened from a CI artifact as it is. Plots are SVG drawn on the
// server (plot.go); the one small inline script (page.go) only opens a log when its link is
// followed and notes, for automated checks, whether the plot was laid out. It reads only
// the records, as the JSONL holds them: it knows nothing of how they were made.

// WriteReport implements engine.Reporter: the page of the dataset whose result o is, from
// the records of its JSONL output and the logs they name, as the store holds them. A log the
// store no longer holds is shown as missing.
func (Kind) WriteReport(w io.Writer, label engine.Label, o *engine.Outcome, blobs engine.Blobs) error {
	records, err := readRecords(label, o, blobs)
	if err != nil {
		return err
	}
	logs := map[string][]byte{}
	for _, d := range logDigests(records) {
		if blob, err := blobs.Get(cache.Digest(d)); err == nil {
			logs[d] = blob
		}
	}
	return renderReport(w, label.String(), records, logs)
}

// readRecords reads the records of the dataset whose result o is, from its JSONL output.
func readRecords(label engine.Label, o *engine.Outcome, blobs engine.Blobs) ([]Record, error) {
	data, err := blobs.Get(o.Outputs[OutputJSONL])
	if err != nil {
		return nil, fmt.Errorf("reading %s's records: %w", label, err)
	}
	return ReadJSONL(bytes.NewReader(data))
}

// maxLog is how much of each log the page embeds: the end of a log says why an action failed,
// and a pip log of many megabytes would make the page unusable.
const maxLog = 256 << 10

// logDigests lists the log digests the records name, in order of first appearance: the
// blobs renderReport embeds.
func logDigests(records []Record) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range records {
		for _, a := range r.Provenance.Actions {
			if a.Log != nil && !seen[*a.Log] {
				seen[*a.Log] = true
				out = append(out, *a.Log)
			}
		}
	}
	return out
}

// renderReport writes the page of records, titled title. logs maps log digests (as the
// records' provenance names them) to their content; a log that is missing is shown as
// missing. The same records always give the same bytes.
func renderReport(w io.Writer, title string, records []Record, logs map[string][]byte) error {
	return reportPage.Execute(w, buildView(title, records, logs))
}

type reportView struct {
	Title      string
	Version    string
	BuildTime  string
	Total      int
	Summary    []summaryRow
	Plot       template.HTML
	Records    []recordView
	Hardware   []hardwareView
	Logs       []*logView
	HasRecords bool
}

type summaryRow struct {
	Outcome string
	Count   int
	Classes []classCount
}

type classCount struct {
	Class string
	Count int
}

type recordView struct {
	ID          string
	Index       int
	R           *Record
	Outcome     string
	Color       string
	Speedup     string
	Faster      string // "496× faster", "1.25× slower"
	Reason      string
	PValue      string
	Improvement string
	Base, Head  string
	// BaseURL and HeadURL are the commits' pages on the forge the repository is on, when it
	// is one the report knows (forge.go).
	BaseURL, HeadURL string
	APIs, MoreAPIs   []string
	Tests            []testView
	Dist             template.HTML
	Logs             []logLink
	ServerLogs       []serverLogLink // files beside the page (servers.go)
	Variants         []variantView
}

// testView is the test a benchmark ran, folded in its card.
type testView struct {
	Title string
	Lines int
	Text  string
}

// maxAPIs is how many affected APIs a card shows before folding the rest: a refactoring
// commit can touch forty, and the card is about the measurement.
const maxAPIs = 8

type logLink struct {
	Anchor, Kind, ID string
}

type hardwareView struct {
	H       *Hardware
	Records int
}

type logView struct {
	Anchor   string
	Digest   string
	Title    string
	Text     string
	Cut      int // bytes left out at the start
	Missing  bool
	Referrer []logRef
}

type logRef struct {
	ID, Benchmark string
}

func recordID(i int) string { return fmt.Sprintf("rec-%d", i) }

func logAnchor(digest string) string { return "log-" + digest }

func buildView(title string, records []Record, logs map[string][]byte) *reportView {
	v := &reportView{Title: title, Total: len(records), HasRecords: len(records) > 0}
	v.Plot = template.HTML(speedupPlot(records))
	v.Summary = summarize(records)
	var buildTimes []string
	hardware := map[string]*hardwareView{}
	logIndex := map[string]*logView{}
	for i := range records {
		r := &records[i]
		if v.Version == "" {
			v.Version = r.Provenance.IsobenchVersion
		}
		if r.Provenance.BuildTime != nil {
			buildTimes = append(buildTimes, *r.Provenance.BuildTime)
		}
		rv := recordView{ID: recordID(i), Index: i, R: r, Outcome: OutcomeOf(r), Color: colorOf(r),
			Speedup: speedupText(r.Speedup, r.CILow, r.CIHigh), Dist: template.HTML(distributionPlot(r))}
		if r.PValue != nil {
			rv.PValue = fmt.Sprintf("%.3g", *r.PValue)
		}
		if r.PerformanceImprovement != nil {
			rv.Improvement = fmt.Sprintf("%+.2f%%", *r.PerformanceImprovement)
		}
		rv.Base, rv.Head = shortSHA(r.BaseCommit), shortSHA(r.HeadCommit)
		rv.BaseURL, rv.HeadURL = commitURL(r.RepoURL, r.BaseCommit), commitURL(r.RepoURL, r.HeadCommit)
		rv.Faster, rv.Reason = faster(r), reason(r)
		rv.APIs = r.AffectedAPIs
		if len(rv.APIs) > maxAPIs+2 {
			rv.APIs, rv.MoreAPIs = r.AffectedAPIs[:maxAPIs], r.AffectedAPIs[maxAPIs:]
		}
		rv.Tests = testsOf(r)
		rv.Variants = variantViews(r)
		rv.ServerLogs = serverLogLinks(r.ServerSessions)
		for _, a := range r.Provenance.Actions {
			if a.Log == nil {
				continue
			}
			rv.Logs = append(rv.Logs, logLink{Anchor: logAnchor(*a.Log), Kind: logName(a), ID: a.ID})
			lv, ok := logIndex[*a.Log]
			if !ok {
				lv = newLogView(*a.Log, a, logs)
				logIndex[*a.Log] = lv
				v.Logs = append(v.Logs, lv)
			}
			lv.Referrer = append(lv.Referrer, logRef{ID: rv.ID, Benchmark: r.Benchmark})
		}
		v.Records = append(v.Records, rv)
		if r.Hardware != nil {
			key := r.Hardware.Class + "\x00" + r.Hardware.CPUModel
			if h, ok := hardware[key]; ok {
				h.Records++
			} else {
				hardware[key] = &hardwareView{H: r.Hardware, Records: 1}
			}
		}
	}
	sort.Strings(buildTimes)
	if len(buildTimes) > 0 {
		v.BuildTime = buildTimes[len(buildTimes)-1]
	}
	keys := make([]string, 0, len(hardware))
	for k := range hardware {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v.Hardware = append(v.Hardware, *hardware[k])
	}
	return v
}

func newLogView(digest string, a ActionRef, logs map[string][]byte) *logView {
	lv := &logView{Anchor: logAnchor(digest), Digest: digest, Title: a.ID}
	data, ok := logs[digest]
	if !ok {
		lv.Missing = true
		return lv
	}
	if len(data) > maxLog {
		lv.Cut = len(data) - maxLog
		data = data[len(data)-maxLog:]
	}
	lv.Text = strings.ToValidUTF8(string(data), string(utf8.RuneError))
	return lv
}

// summarize counts outcomes: verdicts of compared records, then skipped, failed and blocked
// with their classes.
func summarize(records []Record) []summaryRow {
	rows := []summaryRow{{Outcome: "improved"}, {Outcome: "regressed"}, {Outcome: "unchanged"}, {Outcome: "noisy"},
		{Outcome: "failed"}, {Outcome: "blocked"}, {Outcome: "skipped"}}
	index := map[string]int{}
	for i, r := range rows {
		index[r.Outcome] = i
	}
	classes := map[string]map[string]int{}
	for i := range records {
		r := &records[i]
		outcome := r.Status // "ok" without a verdict gets a row of its own
		if r.Status == "ok" && r.Verdict != nil {
			outcome = *r.Verdict
		}
		j, ok := index[outcome]
		if !ok {
			rows = append(rows, summaryRow{Outcome: outcome})
			j = len(rows) - 1
			index[outcome] = j
		}
		rows[j].Count++
		if (outcome == "failed" || outcome == "blocked") && r.FailureClass != nil {
			if classes[outcome] == nil {
				classes[outcome] = map[string]int{}
			}
			classes[outcome][*r.FailureClass]++
		}
	}
	for i := range rows {
		cs := classes[rows[i].Outcome]
		for c, n := range cs {
			rows[i].Classes = append(rows[i].Classes, classCount{c, n})
		}
		sort.Slice(rows[i].Classes, func(a, b int) bool {
			x, y := rows[i].Classes[a], rows[i].Classes[b]
			return x.Count > y.Count || x.Count == y.Count && x.Class < y.Class
		})
	}
	return rows
}

func shortSHA(sha *string) string {
	if sha == nil {
		return "?"
	}
	if len(*sha) > 12 {
		return (*sha)[:12]
	}
	return *sha
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(n *int64) string {
	if n == nil {
		return ""
	}
	return fmt.Sprint(*n)
}

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"deref":        deref,
	"derefInt":     derefInt,
	"serverLogDir": func() string { return ServerLogDir },
}).Parse(pageTemplate))
