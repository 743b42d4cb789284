package engine

import (
	"bytes"
	"fmt"
	"testing"
)

// TestProgressLog: the log is passed through whole, and each write that completes a line
// reports its last line when it has letters in it (not a rule such as "---"), however the
// writes split the lines.
func TestProgressLog(t *testing.T) {
	var log bytes.Buffer
	b := newBench(t)
	w := newProgressLog(&log, b, &Action{ID: "measure //b:x", Mnemonic: "measure"})
	for _, s := range []string{"measuring: 2 runs\n[1/2] base ", "sample 1: 0.1 s\n", "--- output\nok\n---\n", "[2/2] head sample 1", ": 0.05 s\n"} {
		fmt.Fprint(w, s)
	}
	if log.String() != "measuring: 2 runs\n[1/2] base sample 1: 0.1 s\n--- output\nok\n---\n[2/2] head sample 1: 0.05 s\n" {
		t.Errorf("the log was changed: %q", log.String())
	}
	var got []string
	for _, e := range b.events {
		if e.Type != "progress" || e.ID != "measure //b:x" {
			t.Errorf("unexpected event %+v", e)
		}
		got = append(got, e.Message)
	}
	want := []string{"measuring: 2 runs", "[1/2] base sample 1: 0.1 s", "[2/2] head sample 1: 0.05 s"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("progress %q, want %q", got, want)
	}
}
