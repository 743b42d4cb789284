package engine

import (
	"context"
	"testing"
)

// TestMemo: an action keeps parts of its result under their own keys. A part is kept the
// moment it is computed, so a run that ends in a transient failure keeps the parts it had;
// the next run recalls them and computes only the rest, and a rerun recalls nothing.
func TestMemo(t *testing.T) {
	b := newBench(t)
	computed := map[string]int{}
	failB := true
	a := b.action(step{id: "search", run: func(ctx context.Context, x *Exec) (*Result, error) {
		for _, part := range []string{"a", "b"} {
			desc := PartDescription("part-test", 1, []Line{L("part", part)})
			if v, ok, err := x.Memo.Recall(desc); err != nil {
				return nil, err
			} else if ok {
				if string(v) != "value of "+part {
					t.Errorf("recalled %q for part %s", v, part)
				}
				continue
			}
			if part == "b" && failB {
				return Transient("server_error", "part b failed"), nil
			}
			computed[part]++
			if err := x.Memo.Keep(desc, []byte("value of "+part)); err != nil {
				return nil, err
			}
		}
		return OK(map[string][]byte{"out": []byte("done")}, nil), nil
	}})
	roots := []*Action{a}

	if _, v := b.build(context.Background(), roots, Options{}); v["search"].Outcome.Status != StatusFailed {
		t.Fatalf("first build: %+v", v["search"].Outcome)
	}
	failB = false
	if _, v := b.build(context.Background(), roots, Options{}); v["search"].Outcome.Status != StatusOK || v["search"].Outcome.Cached {
		t.Fatalf("second build: %+v", v["search"].Outcome)
	}
	if computed["a"] != 1 || computed["b"] != 1 {
		t.Errorf("parts computed %v, want each once", computed)
	}
	// A rerun executes the action again and computes every part anew, as --rerun asks again
	// for a recorded result; a plain build after it replays the action.
	b.build(context.Background(), roots, Options{Rerun: []Pattern{mustPattern(t, "//t:search")}})
	b.build(context.Background(), roots, Options{})
	if computed["a"] != 2 || computed["b"] != 2 || b.runs.get("search") != 3 {
		t.Errorf("after a rerun: parts computed %v, action ran %d times; want each part twice, the action 3 times", computed, b.runs.get("search"))
	}
	e, ok, err := b.store.GetEntry(KeyOf(PartDescription("part-test", 1, []Line{L("part", "a")})))
	if err != nil || !ok || e.Mnemonic != "part-test" || e.Status != "ok" {
		t.Errorf("the entry of part a: %+v, %v, %v", e, ok, err)
	}
}
