package engine

import (
	"context"
	"os"
	"testing"
)

// TestNoTempDir: work that says NoTempDir runs without a scratch directory; other work gets
// one that exists while it runs.
func TestNoTempDir(t *testing.T) {
	b := newBench(t)
	dirs := map[string]string{}
	mk := func(id string, none bool) *Action {
		a := &Action{ID: id, Mnemonic: "test", Label: Label{Pkg: "t", Name: id}}
		a.Prepare = func(ctx context.Context, in *Inputs) (*Work, error) {
			return &Work{RuleVersion: 1, Lines: []Line{L("step", id)}, NoTempDir: none,
				Run: func(ctx context.Context, x *Exec) (*Result, error) {
					if x.TempDir != "" {
						if _, err := os.Stat(x.TempDir); err != nil {
							t.Errorf("%s: TempDir %s: %v", id, x.TempDir, err)
						}
					}
					dirs[id] = x.TempDir
					return OK(map[string][]byte{"out": []byte(id)}, nil), nil
				}}, nil
		}
		return a
	}
	b.build(context.Background(), []*Action{mk("with", false), mk("without", true)}, Options{Jobs: 1})
	if dirs["with"] == "" {
		t.Errorf("work without NoTempDir ran with no TempDir")
	}
	if dirs["without"] != "" {
		t.Errorf("work with NoTempDir ran with TempDir %s", dirs["without"])
	}
}
