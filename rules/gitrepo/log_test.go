package gitrepo

import (
	"context"
	"testing"
)

// TestLogAgreesWithFacts scans the history of facts_test.go's repository: the last commit's
// files and line counts in the scan are those its facts report (renames included), and the
// root commit's files are counted against the empty tree.
func TestLogAgreesWithFacts(t *testing.T) {
	r, base, head := history(t)
	s := sessionFor(t, r.Dir, true)
	ctx := context.Background()
	log, err := s.Log(ctx, head)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].SHA != head || log[1].SHA != base {
		t.Fatalf("log = %+v, want head then base", log)
	}
	c := log[0]
	if c.Subject != "Speed up mean" || c.Author != "Ada Lovelace" || len(c.Parents) != 1 || c.Parents[0] != base {
		t.Errorf("header = %q by %q, parents %v", c.Subject, c.Author, c.Parents)
	}
	if c.Message != "Speed up mean\n\nUse a running total instead of sum() of a copy.\nSecond line." {
		t.Errorf("message = %q", c.Message)
	}
	f, err := s.Facts(ctx, head, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != len(f.Files) {
		t.Fatalf("scan saw %d files, facts %d: %+v", len(c.Files), len(f.Files), c.Files)
	}
	byPath := map[string]FileCount{}
	for _, fc := range c.Files {
		byPath[fc.Path] = fc
	}
	for _, want := range f.Files {
		got, ok := byPath[want.Path]
		if !ok || got.Added != want.Added || got.Removed != want.Removed {
			t.Errorf("%s: scan %+v, facts %+v", want.Path, got, want)
		}
	}
	if !byPath["logo.bin"].Binary {
		t.Errorf("logo.bin is not counted as binary: %+v", byPath["logo.bin"])
	}
	if len(log[1].Files) != 4 || log[1].Lines() == 0 {
		t.Errorf("root commit files = %+v", log[1].Files)
	}

	// Excluding the base leaves the head alone.
	if log, err = s.Log(ctx, head, base); err != nil || len(log) != 1 || log[0].SHA != head {
		t.Errorf("head ^base = %+v, %v", log, err)
	}
}
