package commitsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// classifyMnemonic heads the description of each kept answer (engine.PartDescription).
const classifyMnemonic = "classify"

// search is a commit_search target as its search action sees it.
type search struct {
	*Config
	judge  engine.Judge // nil: no model is asked
	output string       // the list's path relative to the workspace root
}

// question is one candidate's prepared classification.
type question struct {
	cand *artifact.Candidate
	desc string // the description its answer is kept under
	q    *engine.Question
}

// prepare reads the scan and, with a generator, renders every candidate's question. The key
// names each question by the key of its answer, so a prompt edit shows in `status` as the
// lines of the commits whose question changed.
func (s *search) prepare(in *engine.Inputs, scan *engine.Action) (*engine.Work, error) {
	var sc artifact.Scan
	if err := in.DecodeOutput(scan, artifact.ScanOutput, &sc); err != nil {
		return nil, fmt.Errorf("the scan of %s cannot be read: %w", s.Label, err)
	}
	lines := []engine.Line{engine.L("input.scan", in.OutputDigest(scan, artifact.ScanOutput)), engine.L("format", s.Format)}
	var questions []question
	var parts []cache.Digest
	needs := engine.Needs{CPU: 1}
	if s.judge != nil {
		lines = append(lines, engine.L("generator", s.Generator))
		lines = append(lines, s.judge.Lines()...)
		for i := range sc.Found {
			cand := &sc.Found[i]
			facts, err := json.Marshal(cand.Facts)
			if err != nil {
				return nil, err
			}
			q, err := s.judge.Question(facts)
			if err != nil {
				return nil, err
			}
			part := append([]engine.Line{engine.L("commit", cand.Facts.Head)}, s.judge.Lines()...)
			desc := engine.PartDescription(classifyMnemonic, ruleVersion, append(part, q.Lines...))
			questions = append(questions, question{cand: cand, desc: desc, q: q})
			parts = append(parts, engine.KeyOf(desc))
			lines = append(lines, engine.L("classify."+cand.Facts.Short, engine.KeyOf(desc)))
		}
		if len(questions) > 0 {
			needs = s.judge.Needs()
		}
	}
	for _, rev := range slices.Sorted(maps.Keys(s.Exclude)) {
		lines = append(lines, engine.L("exclude."+rev, s.Exclude[rev]))
	}
	for _, rev := range slices.Sorted(maps.Keys(s.Include)) {
		lines = append(lines, engine.L("include."+rev, s.Include[rev]))
	}
	files := map[string]string{} // output name -> file
	if in.Workspace != nil {
		list := filepath.Join(in.Workspace.Root, filepath.FromSlash(s.output))
		files[artifact.CommitListOutput] = list
		files[artifact.SearchOutput] = recordPath(list)
	}
	return &engine.Work{
		RuleVersion: ruleVersion,
		Lines:       lines,
		Needs:       needs,
		Parts:       parts,
		Run: func(ctx context.Context, x *engine.Exec) (*engine.Result, error) {
			return s.run(ctx, x, &sc, questions, files)
		},
		// The list is a file the next build's for_each reads, and the record one a person
		// reviews: a cached search whose files were removed or edited writes them again from
		// the cache, without asking anything.
		StillValid: func(o *engine.Outcome) bool {
			if o.Status != engine.StatusOK {
				return true
			}
			for name, path := range files {
				if !fileMatches(path, o.Outputs[name]) {
					return false
				}
			}
			return true
		},
		Restore: func(o *engine.Outcome, blobs engine.Blobs) error {
			for _, name := range slices.Sorted(maps.Keys(files)) {
				data, err := blobs.Get(o.Outputs[name])
				if err != nil {
					return err
				}
				if err := writeAtomic(files[name], data); err != nil {
					return err
				}
			}
			return nil
		},
	}, nil
}

// asked is what became of one question in this run.
type asked struct {
	answer   *engine.Answer
	recalled bool
}

// run asks every question that has no kept answer, keeps each answer as it arrives, then
// decides and writes the list. A transient failure of any question fails the search
// transiently, after every other question had its chance: what was learned is kept, and the
// next build asks only the rest.
func (s *search) run(ctx context.Context, x *engine.Exec, sc *artifact.Scan, questions []question, files map[string]string) (*engine.Result, error) {
	answers := make([]asked, len(questions))
	counters := map[string]int64{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	limit := 1
	if s.judge != nil {
		limit = max(1, s.judge.Concurrency())
	}
	slots := make(chan struct{}, limit)
	// Recall first, so the questions to send are counted before any is sent.
	var toAsk []int
	for i := range questions {
		if x.Memo != nil {
			if data, ok, err := x.Memo.Recall(questions[i].desc); err != nil {
				return nil, err
			} else if ok {
				var a engine.Answer
				if err := json.Unmarshal(data, &a); err == nil && (a.Verdict != nil || a.Invalid != "") {
					answers[i] = asked{answer: &a, recalled: true}
					continue
				}
			}
		}
		toAsk = append(toAsk, i)
	}
	var keepErr error
	done := 0
	for _, i := range toAsk {
		q := &questions[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				answers[i] = asked{answer: &engine.Answer{Failure: engine.Transient("cancelled", "The search was cancelled.")}}
				mu.Unlock()
				return
			}
			defer func() { <-slots }()
			var log strings.Builder
			a := q.q.Ask(ctx, &log)
			mu.Lock()
			defer mu.Unlock()
			// The attempts first, then one line per commit, numbered: the live display shows
			// a running action's last line, so it reads as the search's progress.
			done++
			fmt.Fprintf(x.Log, "%s[%d/%d] %s %s: %s\n", indent(log.String()), done, len(toAsk), q.cand.Facts.Short,
				q.cand.Facts.Subject, verdictLine(a))
			for k, n := range a.Counters {
				counters[k] += n
			}
			answers[i] = asked{answer: a}
			if a.Failure == nil && x.Memo != nil {
				data, err := json.Marshal(a)
				if err == nil {
					err = x.Memo.Keep(q.desc, data)
				}
				if err != nil && keepErr == nil {
					keepErr = err
				}
			}
		}()
	}
	wg.Wait()
	if keepErr != nil {
		return nil, fmt.Errorf("an answer could not be kept in the cache: %w", keepErr)
	}

	var failure *engine.Result
	recalled, sent, failed := 0, 0, 0
	for _, a := range answers {
		switch {
		case a.answer.Failure != nil:
			failed++
			if failure == nil {
				failure = a.answer.Failure
			}
		case a.recalled:
			recalled++
		default:
			sent++
		}
	}
	if s.judge != nil {
		fmt.Fprintf(x.Log, "classified %d candidates: %d answers recalled, %d asked, %d failed\n", len(questions), recalled, sent, failed)
		counters["classifications_recalled"] += int64(recalled)
	}
	if failure != nil {
		kept := "nothing was answered"
		if n := len(questions) - failed; n > 0 {
			kept = fmt.Sprintf("the %d answers received are kept, and the next build asks only about the rest", n)
		}
		r := engine.Transient(failure.Class, "%s (%d of %d classifications failed; %s)",
			strings.TrimSuffix(failure.Message, "."), failed, len(questions), kept)
		r.Counters = counters
		return r, nil
	}

	rec := s.decide(sc, questions, answers)
	list, err := encodeList(rec, s.Format)
	if err != nil {
		return nil, err
	}
	record, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	outputs := map[string][]byte{artifact.SearchOutput: append(record, '\n'), artifact.CommitListOutput: list}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := writeAtomic(files[name], outputs[name]); err != nil {
			return nil, err
		}
	}
	writeFunnel(x.Log, &rec.Funnel, s.judge != nil)
	fmt.Fprintf(x.Log, "wrote %d commits to %s, and every decision to %s\n", rec.Funnel.Selected, s.output,
		recordPath(s.output))
	r := engine.OK(outputs, rec.Funnel)
	r.Message = funnelLine(&rec.Funnel, s.judge != nil)
	r.Counters = counters
	return r, nil
}

// decide turns the candidates and answers into decisions, then applies the exclude and the
// include list, in that order.
func (s *search) decide(sc *artifact.Scan, questions []question, answers []asked) *artifact.SearchRecord {
	rec := &artifact.SearchRecord{Search: s.Label.String(), Funnel: sc.Funnel, Decisions: []artifact.Decision{}}
	rec.Funnel.Rejected = map[string]int{}
	for k, n := range sc.Funnel.Rejected {
		rec.Funnel.Rejected[k] = n
	}
	byKey := map[*artifact.Candidate]*engine.Answer{}
	for i, q := range questions {
		byKey[q.cand] = answers[i].answer
	}
	decision := func(c *artifact.Candidate) artifact.Decision {
		f := &c.Facts
		return artifact.Decision{SHA: f.Head, Base: f.Base, Date: f.Date, Author: f.Author, Subject: f.Subject,
			Keyword: c.Keyword, Files: c.Files, Lines: c.Lines, APIs: []string{}}
	}
	for i := range sc.Found {
		c := &sc.Found[i]
		d := decision(c)
		switch a := byKey[c]; {
		case s.judge == nil:
			d.Selected, d.By = true, "filters"
			d.Reason = "passed the filters"
			if c.Keyword != "" {
				d.Reason = fmt.Sprintf("the message matches %q", c.Keyword)
			}
		case a.Verdict != nil:
			d.Selected, d.By, d.Reason, d.Model = a.Verdict.Performance, "model", a.Verdict.Reason, a.Model
			d.APIs = append(d.APIs, a.Verdict.APIs...)
			if !d.Selected {
				rec.Funnel.Reject("model: not a performance commit")
			}
		default:
			d.By, d.Reason, d.Model = "model", "no usable answer: "+a.Invalid, a.Model
			rec.Funnel.Reject("model: no usable answer")
		}
		if d.Selected {
			rec.Funnel.Accepted++
		}
		rec.Decisions = append(rec.Decisions, d)
	}
	for i := range rec.Decisions {
		d := &rec.Decisions[i]
		if comment, ok := lookup(s.Exclude, d.SHA); ok {
			if d.Selected {
				rec.Funnel.Reject("excluded")
			}
			d.Selected, d.By, d.Reason = false, "exclude", overrule(comment, d)
		}
	}
	for i := range sc.Included {
		c := &sc.Included[i]
		comment, _ := lookup(s.Include, c.Facts.Head)
		j := indexOf(rec.Decisions, c.Facts.Head)
		if j < 0 {
			rec.Decisions = append(rec.Decisions, decision(c))
			j = len(rec.Decisions) - 1
		}
		d := &rec.Decisions[j]
		d.Selected, d.By, d.Reason = true, "include", overrule(comment, d)
	}
	for _, d := range rec.Decisions {
		if d.Selected {
			rec.Funnel.Selected++
		}
	}
	return rec
}

// overrule is the reason of a list that overrules an earlier decision: the list's comment,
// and what the model had said, so a reviewer sees both.
func overrule(comment string, d *artifact.Decision) string {
	if d.By == "model" {
		return fmt.Sprintf("%s (the model: %s)", comment, d.Reason)
	}
	return comment
}

// lookup finds a commit in an include or exclude list, whose keys are SHAs or prefixes.
func lookup(list map[string]string, sha string) (string, bool) {
	for _, rev := range slices.Sorted(maps.Keys(list)) {
		if strings.HasPrefix(sha, strings.ToLower(rev)) {
			return list[rev], true
		}
	}
	return "", false
}

func indexOf(ds []artifact.Decision, sha string) int {
	for i, d := range ds {
		if d.SHA == sha {
			return i
		}
	}
	return -1
}

// verdictLine says in the log what an answer decided.
func verdictLine(a *engine.Answer) string {
	switch {
	case a.Failure != nil:
		return "failed: " + a.Failure.Message
	case a.Verdict == nil:
		return "no usable answer: " + a.Invalid
	case a.Verdict.Performance:
		return "performance commit: " + a.Verdict.Reason
	}
	return "not a performance commit: " + a.Verdict.Reason
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// recordPath is where the search's record is written: beside the list, named after it
// (perf_commits.csv -> perf_commits.search.json).
func recordPath(list string) string {
	return strings.TrimSuffix(list, filepath.Ext(list)) + ".search.json"
}

// fileMatches reports whether the file at path holds exactly the blob d.
func fileMatches(path string, d cache.Digest) bool {
	if path == "" {
		return true
	}
	data, err := os.ReadFile(path)
	return err == nil && cache.Sum(data) == d
}
