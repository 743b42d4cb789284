package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/isobench/isobench/engine"
	"golang.org/x/term"
)

// display renders build events for people: on a terminal, a live block of running actions
// with their elapsed time and the last line of their log (a measurement's "[3/20] head
// sample 2: ...") under a done/total line; otherwise one plain line per executed, failed or
// blocked action. Replayed results are only counted: a null build of 10,000
// targets prints nothing but its summary.
type display struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	total   int
	done    int
	running map[string]time.Time
	latest  map[string]string // the last log line of each running action
	drawn   int               // lines of the live block on screen
	stop    chan struct{}
	stopped chan struct{}
}

func newDisplay(w io.Writer, total int) *display {
	d := &display{w: w, total: total, running: map[string]time.Time{}, latest: map[string]string{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb" {
		d.tty = true
		d.stop, d.stopped = make(chan struct{}), make(chan struct{})
		go d.tick()
	}
	return d
}

func (d *display) Event(e engine.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch e.Type {
	case "start":
		d.running[e.ID] = e.Time
		d.redraw()
		return
	case "progress":
		if _, ok := d.running[e.ID]; ok {
			d.latest[e.ID] = e.Message // drawn at the next tick
		}
		return
	}
	delete(d.running, e.ID)
	delete(d.latest, e.ID)
	d.done++
	var line string
	switch {
	case e.Status == engine.StatusBlocked:
		line = fmt.Sprintf("BLOCKED  %s (by %s)", e.ID, e.BlockedBy)
	case e.Status == engine.StatusFailed:
		line = fmt.Sprintf("FAILED   %s: %s: %s", e.ID, e.Class, e.Message)
		if e.Cached {
			line += " (cached; --retry-failed runs it again)"
		}
	case e.Status == engine.StatusSkipped && !e.Cached:
		line = fmt.Sprintf("SKIPPED  %s: %s", e.ID, e.Message)
	case e.Cached:
		// Counted, and drawn at the next tick: a redraw per replayed result would write
		// half a megabyte to the terminal in a null build of 10,000 targets.
		return
	default:
		line = fmt.Sprintf("ok       %s (%s)", e.ID, e.Duration.Round(time.Millisecond))
	}
	d.clear()
	fmt.Fprintf(d.w, "[%d/%d] %s\n", d.done, d.total, line)
	d.draw()
}

func (d *display) tick() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	defer close(d.stopped)
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			d.mu.Lock()
			d.redraw()
			d.mu.Unlock()
		}
	}
}

func (d *display) redraw() {
	if !d.tty {
		return
	}
	d.clear()
	d.draw()
}

func (d *display) clear() {
	for ; d.drawn > 0; d.drawn-- {
		fmt.Fprint(d.w, "\x1b[1A\x1b[2K")
	}
}

func (d *display) draw() {
	if !d.tty {
		return
	}
	ids := make([]string, 0, len(d.running))
	for id := range d.running {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return d.running[ids[i]].Before(d.running[ids[j]]) })
	fmt.Fprintf(d.w, "isobench: %d/%d done, %d running\n", d.done, d.total, len(ids))
	d.drawn = 1
	width := d.width()
	for i, id := range ids {
		if i == 8 {
			fmt.Fprintf(d.w, "  ... and %d more\n", len(ids)-i)
			d.drawn++
			break
		}
		line := fmt.Sprintf("  %6s  %s", time.Since(d.running[id]).Round(time.Second), id)
		if p := d.latest[id]; p != "" {
			line += "  " + strings.TrimSpace(p)
		}
		fmt.Fprintln(d.w, cut(line, width))
		d.drawn++
	}
}

// width is the terminal's width, for lines that must not wrap (the live block is redrawn by
// counting lines).
func (d *display) width() int {
	if f, ok := d.w.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
			return w - 1
		}
	}
	return 119
}

// cut shortens s to n runes.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (d *display) close() {
	if d.tty {
		close(d.stop)
		<-d.stopped
		d.mu.Lock()
		d.clear()
		d.mu.Unlock()
	}
}

// printSummary ends a build's human output: counts, then each root failure once, then what
// it blocked.
func printSummary(w io.Writer, s *engine.Summary, interrupted bool) {
	fmt.Fprintf(w, "isobench: %d executed, %d cached, %d failed, %d skipped, %d blocked",
		s.Executed, s.Cached, s.Failed, s.Skipped, s.Blocked)
	if s.NotRun > 0 {
		fmt.Fprintf(w, ", %d not run", s.NotRun)
	}
	fmt.Fprintf(w, " in %.1fs\n", s.Seconds)
	// Per kind, what ran and what was replayed: "generate 3 executed, 4 cached" is how many
	// tests were asked of a model and how many came from the cache.
	var kinds []string
	for _, k := range slices.Sorted(maps.Keys(s.ByMnemonic)) {
		c := s.ByMnemonic[k]
		kinds = append(kinds, fmt.Sprintf("%s %d/%d", k, c.Executed, c.Cached))
	}
	if len(kinds) > 0 {
		fmt.Fprintf(w, "isobench: executed/cached by kind: %s\n", strings.Join(kinds, ", "))
	}
	if len(s.Counters) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(s.Counters)) {
			parts = append(parts, fmt.Sprintf("%s=%d", k, s.Counters[k]))
		}
		fmt.Fprintf(w, "isobench: %s\n", strings.Join(parts, " "))
	}
	for _, f := range s.Failures {
		fmt.Fprintf(w, "  failed:  %s: %s: %s\n", f.ID, f.Class, f.Message)
	}
	for _, b := range s.BlockedBy {
		fmt.Fprintf(w, "  blocked: %s (by %s)\n", b.ID, b.BlockedBy)
	}
	if interrupted {
		fmt.Fprintln(w, "isobench: interrupted; every finished result is kept, and the next build resumes from there")
	} else if s.NotRun > 0 {
		fmt.Fprintln(w, "isobench: stopped at the first failure\nhint: --keep-going builds everything that does not depend on it")
	}
}

// eventLog writes events as JSON lines (--events FILE).
type eventLog struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newEventLog(w io.Writer) *eventLog { return &eventLog{enc: json.NewEncoder(w)} }

func (l *eventLog) Event(e engine.Event) {
	if e.Type == "progress" {
		return // the log's lines are in the action's log; the event log records starts and finishes
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// The log states durations in seconds, which is what readers of JSON expect.
	l.enc.Encode(struct {
		engine.Event
		Duration float64 `json:"duration"`
	}{e, e.Duration.Seconds()})
}
