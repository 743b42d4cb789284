package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// LogCommit is one commit of a history scan: what `git log` says about it cheaply, without its
// diff. A search reads thousands of these and asks for the full facts (Session.Facts) only of
// the few that pass its filters.
type LogCommit struct {
	SHA     string
	Parents []string
	Date    string // author date, strict ISO 8601 as git prints it (%aI)
	Author  string
	Email   string
	Subject string
	Message string // the whole message, subject included, without the final newline
	// Files are the files changed against the first parent (a root commit: against the empty
	// tree), with renames detected as Facts detects them, so counts agree with the facts.
	Files []FileCount
}

// FileCount is one file a commit changed and its line counts; Binary files count no lines.
type FileCount struct {
	Path    string
	Added   int
	Removed int
	Binary  bool
}

// Lines is the number of lines the commit added and removed.
func (c *LogCommit) Lines() int {
	n := 0
	for _, f := range c.Files {
		n += f.Added + f.Removed
	}
	return n
}

// The fields of a commit's header in a scan are separated by US and the header ends with RS:
// neither can appear in a name, a date or a SHA, and a message holding one is rare enough that
// the parser rejects it rather than guess.
const (
	fieldSep  = "\x1f"
	headerEnd = "\x1e"
	logFormat = "--format=%H%x1f%P%x1f%aI%x1f%an%x1f%ae%x1f%B%x1e"
)

// Log lists the commits reachable from to and not from any of exclude, newest first, each with
// its files changed and line counts, in one `git log` process. Both are full SHAs (resolve
// refs with Resolve first). A merge's files are those against its first parent.
//
// Git runs sealed (git.go): the counts are the same on every machine, so a scan is as
// deterministic as the facts it is a cheap preview of.
func (s *Session) Log(ctx context.Context, to string, exclude ...string) ([]LogCommit, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	for _, sha := range append([]string{to}, exclude...) {
		if !IsFullSHA(sha) {
			return nil, fmt.Errorf("gitrepo: Log takes full SHAs, not %q", sha)
		}
	}
	args := []string{"log", "-z", "--no-color", "--numstat", "-M50%", "--diff-merges=first-parent", logFormat, to}
	for _, x := range exclude {
		args = append(args, "^"+x)
	}
	args = append(args, "--")
	out, err := runGit(ctx, sealed, s.m.Dir, nil, args...)
	if err != nil {
		return nil, err
	}
	return parseLog(out)
}

// parseLog reads `git log -z --numstat` with logFormat: each commit is its header (fields
// separated by US, ended by RS), then NUL and a newline, then one numstat record per file,
// each ended by NUL ("<added>\t<removed>\t<path>", or for a rename "<added>\t<removed>\t"
// followed by the old and the new path as records of their own).
func parseLog(out []byte) ([]LogCommit, error) {
	var commits []LogCommit
	toks := bytes.Split(out, []byte{0})
	for i := 0; i < len(toks); i++ {
		tok := strings.TrimPrefix(string(toks[i]), "\n")
		switch {
		case tok == "":
			continue
		case strings.Contains(tok, fieldSep):
			c, err := parseHeader(tok)
			if err != nil {
				return nil, err
			}
			commits = append(commits, c)
		default:
			if len(commits) == 0 {
				return nil, fmt.Errorf("git log printed a file count before any commit: %q", tok)
			}
			parts := strings.SplitN(tok, "\t", 3)
			if len(parts) != 3 {
				return nil, fmt.Errorf("unexpected numstat record %q in git log", tok)
			}
			f := FileCount{Path: parts[2], Binary: parts[0] == "-"}
			f.Added, _ = strconv.Atoi(parts[0])
			f.Removed, _ = strconv.Atoi(parts[1])
			if f.Path == "" { // a rename: the old path, then the new
				if i+2 >= len(toks) {
					return nil, fmt.Errorf("git log ends inside a rename record")
				}
				f.Path = string(toks[i+2])
				i += 2
			}
			c := &commits[len(commits)-1]
			c.Files = append(c.Files, f)
		}
	}
	return commits, nil
}

func parseHeader(tok string) (LogCommit, error) {
	body, ok := strings.CutSuffix(tok, headerEnd)
	fields := strings.SplitN(body, fieldSep, 6)
	if !ok || len(fields) != 6 || !IsFullSHA(fields[0]) {
		return LogCommit{}, fmt.Errorf("unexpected commit header in git log: %q", Short(tok))
	}
	msg := strings.TrimRight(fields[5], "\n")
	subject, _, _ := strings.Cut(msg, "\n")
	return LogCommit{
		SHA:     fields[0],
		Parents: strings.Fields(fields[1]),
		Date:    fields[2],
		Author:  fields[3],
		Email:   fields[4],
		Subject: strings.TrimSpace(subject),
		Message: msg,
	}, nil
}
