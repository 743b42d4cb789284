package generator

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/isobench/isobench/rules/artifact"
	openai "github.com/sashabaranov/go-openai"
	"github.com/zclconf/go-cty/cty"
)

// cutMarkerPrefix starts the line that replaces the end of a diff cut to its budget, so the
// model, and anyone reading the rendered prompt, knows that what follows is missing.
const cutMarkerPrefix = "[isobench: diff cut"

// maxNamedFiles bounds the list of files a cut names; past it the marker gives a count.
const maxNamedFiles = 20

// cutDiff cuts a diff to at most budget bytes (0 means no budget). It keeps the diff's
// beginning up to the last whole line that fits, so every file section before the cut is
// complete and the one across it is cut between lines, then adds one marker line saying how
// much was kept and which files are not shown in full. For ASCII text, as code and diffs
// mostly are, bytes and characters are the same; a line longer than the whole budget is cut
// at a character boundary.
func cutDiff(diff string, budget int) (string, bool) {
	if budget <= 0 || len(diff) <= budget {
		return diff, false
	}
	keep := strings.LastIndexByte(diff[:budget], '\n') + 1
	if keep == 0 {
		keep = budget
		for keep > 0 && !utf8.RuneStart(diff[keep]) {
			keep--
		}
	}
	var partial []string
	for _, sec := range fileSections(diff) {
		if sec.end > keep {
			partial = append(partial, sec.path)
		}
	}
	named := partial
	more := ""
	if len(named) > maxNamedFiles {
		more = fmt.Sprintf(" and %d more", len(named)-maxNamedFiles)
		named = named[:maxNamedFiles]
	}
	kept := diff[:keep]
	if !strings.HasSuffix(kept, "\n") && kept != "" {
		kept += "\n"
	}
	marker := fmt.Sprintf("%s to its first %d of %d bytes (max_diff_chars)", cutMarkerPrefix, keep, len(diff))
	if len(named) > 0 {
		marker += "; not shown in full: " + strings.Join(named, ", ") + more
	}
	return kept + marker + "]\n", true
}

// fileSection is one file's part of a unified Git diff.
type fileSection struct {
	path string
	end  int // byte offset just past the section
}

// fileSections splits a `git diff` into its files by their "diff --git a/X b/Y" headers,
// naming each by its new path.
func fileSections(diff string) []fileSection {
	var secs []fileSection
	const header = "diff --git "
	for off := 0; off < len(diff); {
		line := diff[off:]
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		if strings.HasPrefix(line, header) {
			if n := len(secs); n > 0 {
				secs[n-1].end = off
			}
			path := strings.TrimSpace(line[len(header):])
			if i := strings.LastIndex(path, " b/"); i >= 0 {
				path = path[i+3:]
			}
			secs = append(secs, fileSection{path: path})
		}
		off += len(line)
	}
	if n := len(secs); n > 0 {
		secs[n-1].end = len(diff)
	}
	return secs
}

// render evaluates `system` and `prompt` for a commit. The template sees the commit's facts
// with the diff already cut to its budget, plus commit.diff_cut (whether it was) and
// commit.diff_bytes (its size before the cut).
func (c *Config) render(f *artifact.CommitFacts) (messages []openai.ChatCompletionMessage, cut bool, err error) {
	g := *f
	g.Diff, cut = cutDiff(f.Diff, c.MaxDiffChars)
	vars := g.Vars(artifact.Head)
	commit := vars["commit"].AsValueMap()
	commit["diff_cut"] = cty.BoolVal(cut)
	commit["diff_bytes"] = cty.NumberIntVal(int64(len(f.Diff)))
	vars["commit"] = cty.ObjectVal(commit)

	system, err := c.System.String(vars)
	if err != nil {
		return nil, cut, err
	}
	prompt, err := c.Prompt.String(vars)
	if err != nil {
		return nil, cut, err
	}
	if strings.TrimSpace(prompt) == "" {
		return nil, cut, fmt.Errorf("the prompt rendered to an empty text")
	}
	if system != "" {
		messages = append(messages, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: system})
	}
	messages = append(messages, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: prompt})
	return messages, cut, nil
}
