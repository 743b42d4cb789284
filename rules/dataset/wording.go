package dataset

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/isobench/isobench/rules/artifact"
)

// What the report's cards say in words: links to the forge, "496× faster", which side a log
// is about, the test a benchmark ran.

// commitURL is the page of a commit on the forge a repository URL names (artifact.ParseForge),
// or "" for any other URL, a local path or a bundle. Only a reader who follows the link leaves
// the page; nothing is loaded from it.
func commitURL(repoURL, sha *string) string {
	if repoURL == nil || sha == nil || *sha == "" {
		return ""
	}
	if f, ok := artifact.ParseForge(*repoURL); ok {
		return f.CommitLink(*sha)
	}
	return ""
}

// faster says a speedup in words a reader compares at a glance: "496× faster", "1.25×
// slower" (the inverse, for a speedup below 1).
func faster(r *Record) string {
	if r.Speedup == nil || *r.Speedup <= 0 {
		return ""
	}
	if v := deref(r.Verdict); v != "improved" && v != "regressed" {
		return "" // a change the samples do not show is not stated as one
	}
	s := *r.Speedup
	word := "faster"
	if s < 1 {
		s, word = 1/s, "slower"
	}
	return fmt.Sprintf("head is %s× %s", ratioText(s), word)
}

func ratioText(s float64) string {
	switch {
	case s >= 100:
		return fmt.Sprintf("%.0f", s)
	case s >= 10:
		return fmt.Sprintf("%.1f", s)
	}
	return fmt.Sprintf("%.3g", s)
}

// percentPhrase is how a verdict's reason states a change in percent ("Head is 49526.8%
// better"); from 100% up a reader wants the factor instead.
var percentPhrase = regexp.MustCompile(`Head is ([0-9.]+)% (better|worse)`)

// reason is the verdict's reason, with a change of 100% or more said as a factor.
func reason(r *Record) string {
	text := deref(r.VerdictReason)
	return percentPhrase.ReplaceAllStringFunc(text, func(m string) string {
		f := faster(r)
		sub := percentPhrase.FindStringSubmatch(m)
		var pct float64
		fmt.Sscan(sub[1], &pct)
		if f == "" || pct < 100 {
			return m
		}
		return "H" + strings.TrimPrefix(f, "h")
	})
}

// logName names a log link by what the action did and, for the per-side actions, which side:
// "environment (base)", "measure".
func logName(a ActionRef) string {
	for _, side := range []string{"base", "head"} {
		if strings.HasSuffix(a.ID, " "+side) {
			return a.Kind + " (" + side + ")"
		}
	}
	return a.Kind
}

// testsOf is the test a benchmark ran, for its card: the script (generated or written by
// hand) or the command.
func testsOf(r *Record) []testView {
	var out []testView
	kind := deref(r.TestKind)
	for _, text := range r.EfficiencyTest {
		if strings.TrimSpace(text) == "" {
			continue
		}
		title := "the test"
		switch kind {
		case "generated":
			title = "the generated test"
		case "command":
			title = "the command"
		case "script":
			title = "the test script"
		}
		out = append(out, testView{Title: title, Lines: strings.Count(strings.TrimRight(text, "\n"), "\n") + 1, Text: text})
	}
	return out
}
