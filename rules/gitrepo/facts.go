package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/isobench/isobench/rules/artifact"
)

// MaxDiffBytes caps the unified diff kept in commit facts. The diff is there for prompts and
// for people; 1 MiB is about 250,000 tokens, more than any model's prompt budget, while some
// commits of large repositories (vendored files, lock files, generated code) change tens of
// megabytes, which would sit in every record and every prompt digest of the dataset.
const MaxDiffBytes = 1 << 20

// diffArgs make `git diff` print the same bytes on every machine: no colour, no external diff
// or textconv driver, full object names in "index" lines (abbreviations grow with the number
// of objects in the mirror, which differs between machines), fixed prefixes, and rename
// detection at git's default threshold, spelled out.
var diffArgs = []string{"--no-color", "--no-ext-diff", "--no-textconv", "-M50%"}

// rawDiffArgs list the files changed with their line counts; patchDiffArgs make the unified
// diff. `git diff-tree -r` with these prints what `git diff` does (difftree_test checks it).
var (
	rawDiffArgs   = append(slices.Clone(diffArgs), "-z", "--raw", "--numstat")
	patchDiffArgs = append(slices.Clone(diffArgs), "-p", "--full-index", "--src-prefix=a/", "--dst-prefix=b/")
)

// Facts reads the facts of the commit head against base: message, author, files changed with
// line counts, diffstat, unified diff and trees. Both are full SHAs; an empty base means the
// first parent of head, and a head without parents is an error of class root_commit. The
// fields naming the repository and refs are left for the caller, which knows them.
func (s *Session) Facts(ctx context.Context, head, base string) (*artifact.CommitFacts, error) {
	hc, err := s.Commit(ctx, head)
	if err != nil {
		return nil, err
	}
	if base == "" {
		if len(hc.Parents) == 0 {
			return nil, &Error{Class: ClassRootCommit,
				Msg: fmt.Sprintf("The commit %s in repository %s is a root commit: it has no parent to compare with. Give the target a base.",
					Short(head), s.m.Display)}
		}
		base = hc.Parents[0]
	}
	bc, err := s.Commit(ctx, base)
	if err != nil {
		return nil, err
	}
	f := &artifact.CommitFacts{
		Head: hc.SHA, Base: bc.SHA, HeadTree: hc.Tree, BaseTree: bc.Tree, Short: Short(hc.SHA),
		Subject: hc.Subject, Message: hc.Message, Author: hc.Author, AuthorEmail: hc.Email, Date: hc.Date,
		Files: []artifact.FileChange{},
	}
	if hc.Tree == bc.Tree {
		f.Diffstat = diffstat(nil)
		return f, nil // an empty commit, or base == head: nothing to diff
	}
	raw, err := s.diff(ctx, s.rawDiff, bc.SHA, hc.SHA)
	if err != nil {
		return nil, err
	}
	changes, err := parseChanges(raw)
	if err != nil {
		return nil, fmt.Errorf("cannot read the files changed between %s and %s: %v", Short(bc.SHA), Short(hc.SHA), err)
	}
	for _, c := range changes {
		f.Files = append(f.Files, c.FileChange)
	}
	f.Diffstat = diffstat(changes)
	patch, err := s.diff(ctx, s.patchDiff, bc.SHA, hc.SHA)
	if err != nil {
		return nil, err
	}
	f.Diff = truncateDiff(patch, MaxDiffBytes)
	return f, nil
}

// diff asks the session's diff-tree process d for the diff between two commits whose trees
// differ. Their diff is never empty, so an empty answer means diff-tree could not read them
// (it says so on its stderr and goes on to the next question); then `git diff` runs alone,
// and its error, if any, is the answer.
func (s *Session) diff(ctx context.Context, d *diffTree, base, head string) ([]byte, error) {
	out, err := d.diff(ctx, base, head)
	if err != nil || len(out) > 0 {
		return out, err
	}
	args := append([]string{"diff"}, d.opts...)
	return runGit(ctx, sealed, s.m.Dir, nil, append(args, base, head)...)
}

// change is a file changed, with what FileChange does not say.
type change struct {
	artifact.FileChange
	binary bool // git counts no lines in it
}

// changeNames maps git's status letters to the words of artifact.FileChange.
var changeNames = map[byte]string{
	'A': "added", 'M': "modified", 'D': "deleted", 'R': "renamed", 'C': "copied", 'T': "type_changed",
}

// parseChanges reads `git diff -z --raw --numstat`: first one raw record per file
// (":<modes> <shas> <status>\0<path>\0", and a second path for renames and copies), then one
// numstat record per file in the same order ("<added>\t<removed>\t<path>\0", or for renames
// "<added>\t<removed>\t\0<old>\0<new>\0"; "-" counts for binary files).
func parseChanges(out []byte) ([]change, error) {
	toks := strings.Split(string(out), "\x00")
	var files []change
	next := func(i *int) (string, error) {
		if *i >= len(toks) {
			return "", fmt.Errorf("the output of git diff ends early")
		}
		*i++
		return toks[*i-1], nil
	}
	counted := 0
	for i := 0; i < len(toks); {
		tok, _ := next(&i)
		switch {
		case tok == "" || tok == "\n":
			continue
		case strings.HasPrefix(tok, ":"):
			fields := strings.Fields(tok)
			if len(fields) != 5 {
				return nil, fmt.Errorf("unexpected raw diff record %q", tok)
			}
			status := fields[4]
			fc := change{FileChange: artifact.FileChange{Change: changeNames[status[0]]}}
			if fc.Change == "" {
				fc.Change = "unknown"
			}
			path, err := next(&i)
			if err != nil {
				return nil, err
			}
			fc.Path = path
			if status[0] == 'R' || status[0] == 'C' {
				fc.OldPath = path
				if fc.Path, err = next(&i); err != nil {
					return nil, err
				}
			}
			files = append(files, fc)
		default:
			parts := strings.SplitN(tok, "\t", 3)
			if len(parts) != 3 || counted >= len(files) {
				return nil, fmt.Errorf("unexpected numstat record %q", tok)
			}
			fc := &files[counted]
			counted++
			if parts[2] == "" { // a rename: the two paths follow
				if _, err := next(&i); err != nil {
					return nil, err
				}
				if _, err := next(&i); err != nil {
					return nil, err
				}
			}
			// Binary files count "-": no lines to count, and 0 says as much.
			fc.Added, _ = strconv.Atoi(parts[0])
			fc.Removed, _ = strconv.Atoi(parts[1])
			fc.binary = parts[0] == "-"
		}
	}
	if counted != len(files) {
		return nil, fmt.Errorf("git diff listed %d files but counted lines of %d", len(files), counted)
	}
	return files, nil
}

// diffstat formats the changes like `git diff --stat`, without the +/- bar (its width
// depends on the terminal and on git's version; the numbers carry the same information).
func diffstat(files []change) string {
	var b strings.Builder
	width := 0
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Path
		if f.OldPath != "" {
			names[i] = f.OldPath + " => " + f.Path
		}
		width = max(width, len(names[i]))
	}
	added, removed := 0, 0
	for i, f := range files {
		if f.binary {
			fmt.Fprintf(&b, " %-*s | Bin\n", width, names[i])
			continue
		}
		fmt.Fprintf(&b, " %-*s | %d (+%d -%d)\n", width, names[i], f.Added+f.Removed, f.Added, f.Removed)
		added += f.Added
		removed += f.Removed
	}
	plural := func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	}
	fmt.Fprintf(&b, " %d %s changed, %d %s(+), %d %s(-)\n", len(files), plural(len(files), "file", "files"),
		added, plural(added, "insertion", "insertions"), removed, plural(removed, "deletion", "deletions"))
	return b.String()
}

// truncateDiff keeps at most max bytes of a diff, cut at a line end, and says how much is
// missing, so that a reader (or a model) knows the diff goes on.
func truncateDiff(diff []byte, max int) string {
	if len(diff) <= max {
		return string(diff)
	}
	cut := bytes.LastIndexByte(diff[:max], '\n') + 1
	return string(diff[:cut]) + fmt.Sprintf("[isobench: diff truncated: %d of %d bytes shown]\n", cut, len(diff))
}
