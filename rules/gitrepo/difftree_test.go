package gitrepo

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestDiffTreeMatchesGitDiff: the facts read through the session's long-lived diff-tree
// processes are the bytes `git diff` prints, for many commits asked one after another on the
// same pipes: renames, deletions, binary files, mode changes, odd path names, a commit whose
// diff holds the end line's prefix, and the same pair asked twice.
func TestDiffTreeMatchesGitDiff(t *testing.T) {
	r, base, head := history(t)
	shas := []string{base, head}
	shas = append(shas, r.Commit("odd names", map[string]string{
		"with space.txt": "x\n", "naïve/ünï.py": "y\n", "tab\there": "z\n", "isobench-end-0\n": "isobench-end-0\n",
	}))
	r.Git("update-index", "--chmod=+x", "new.txt")
	shas = append(shas, r.Commit("mode", nil))
	for i := range 20 {
		shas = append(shas, r.Commit(fmt.Sprint("step ", i), map[string]string{
			fmt.Sprintf("f%d.txt", i%3): strings.Repeat(fmt.Sprintln(i), i+1),
		}))
	}
	s := sessionFor(t, r.Dir, true)
	ctx := context.Background()
	if _, err := s.Commit(ctx, shas[len(shas)-1]); err != nil { // clones the mirror
		t.Fatal(err)
	}
	for i := 1; i < len(shas); i++ {
		for _, d := range []*diffTree{s.rawDiff, s.patchDiff} {
			want := r.Git(append(append([]string{"diff"}, d.opts...), shas[i-1], shas[i])...)
			got, err := s.diff(ctx, d, shas[i-1], shas[i])
			if err != nil {
				t.Fatal(err)
			}
			if d == s.rawDiff {
				// `git diff` abbreviates object names in raw records and diff-tree does not;
				// the facts read only the status, paths and counts.
				g, gerr := parseChanges(got)
				w, werr := parseChanges([]byte(want))
				if gerr != nil || werr != nil || !reflect.DeepEqual(g, w) {
					t.Errorf("commit %d, files:\n got %+v (%v)\nwant %+v (%v)", i, g, gerr, w, werr)
				}
				continue
			}
			// gittest's Git trims the output; so does the comparison.
			if g := strings.TrimSpace(string(got)); g != want {
				t.Errorf("commit %d, patch:\n got %q\nwant %q", i, g, want)
			}
		}
	}
	f1, err := s.Facts(ctx, head, base)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := s.Facts(ctx, head, base)
	if err != nil || f1.Diff != f2.Diff || len(f1.Files) != len(f2.Files) {
		t.Errorf("the same pair asked twice differs (err %v)", err)
	}
}

// An object diff-tree cannot read is an error, not an empty diff, and the process is usable
// after it.
func TestDiffTreeUnknownObject(t *testing.T) {
	r, base, head := history(t)
	s := sessionFor(t, r.Dir, true)
	ctx := context.Background()
	if _, err := s.Commit(ctx, head); err != nil { // clones the mirror
		t.Fatal(err)
	}
	if _, err := s.diff(ctx, s.rawDiff, base, strings.Repeat("1", 40)); err == nil {
		t.Fatal("a diff against a missing commit succeeded")
	}
	if out, err := s.diff(ctx, s.rawDiff, base, head); err != nil || len(out) == 0 {
		t.Fatalf("after an error: %q, %v", out, err)
	}
}
