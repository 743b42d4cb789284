package dataset

import (
	"reflect"
	"testing"
)

// TestFieldDocs keeps the card's feature table complete: every column of Record, nested ones
// included, has a description, and no description names a column that does not exist.
func TestFieldDocs(t *testing.T) {
	paths := map[string]bool{}
	var walk func([]feature)
	walk = func(fs []feature) {
		for _, f := range fs {
			paths[f.path] = true
			if fieldDocs[f.path] == "" {
				t.Errorf("the feature %q has no description in fieldDocs", f.path)
			}
			walk(f.children)
		}
	}
	walk(features(reflect.TypeOf(Record{}), ""))
	for path := range fieldDocs {
		if !paths[path] {
			t.Errorf("fieldDocs describes %q, which is not a feature", path)
		}
	}
}

func TestOutcomes(t *testing.T) {
	s := func(v string) *string { return &v }
	records := []Record{
		{Status: "ok", Verdict: s("improved")}, {Status: "ok", Verdict: s("improved")},
		{Status: "failed", FailureClass: s("base_failed")}, {Status: "blocked", FailureClass: s("no_wheel")},
		{Status: "skipped", FailureClass: s("skipped")},
	}
	got := outcomes(records)
	want := []outcome{{"improved", 2}, {"regressed", 0}, {"unchanged", 0}, {"noisy", 0},
		{"blocked: no_wheel", 1}, {"failed: base_failed", 1}, {"skipped", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes = %v, want %v", got, want)
	}
}
