package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fileKind writes a file outside the cache, as a dataset does: StillValid reads it, Restore
// writes it again, and with watch set its Work names it in Watch. A fact puts a machine
// fact in the work.
type fileKind struct{ runs *runCounter }

func (fileKind) Name() string { return "file" }

func (fileKind) Schema() *Schema {
	return &Schema{Attrs: []Attr{
		{Name: "path", Type: TypeString, Required: true},
		{Name: "text", Type: TypeString},
		{Name: "watch", Type: TypeBool},
		{Name: "fact", Type: TypeString},
	}}
}

func (k fileKind) Plan(p *Planner, t *Target) (*Action, error) {
	a := &Action{ID: "file " + t.Label.String(), Mnemonic: "file", Label: t.Label}
	rel, text, watch, fact := t.String("path"), t.String("text"), t.Bool("watch", false), t.String("fact")
	a.Prepare = func(ctx context.Context, in *Inputs) (*Work, error) {
		path := rel
		if !filepath.IsAbs(path) {
			path = filepath.Join(in.Workspace.Root, rel)
		}
		write := func() error { return os.WriteFile(path, []byte(text), 0o644) }
		w := &Work{RuleVersion: 1, Lines: []Line{L("text", text)}, Recordable: true, NoTempDir: true,
			Run: func(ctx context.Context, x *Exec) (*Result, error) {
				k.runs.add(a.ID)
				if err := write(); err != nil {
					return nil, err
				}
				return OK(map[string][]byte{"out": []byte(text)}, nil), nil
			},
			StillValid: func(*Outcome) bool {
				data, err := os.ReadFile(path)
				return err == nil && string(data) == text
			},
			Restore: func(*Outcome, Blobs) error { return write() },
		}
		if watch {
			w.Watch = []string{path}
		}
		if fact != "" {
			w.Machine = map[string]string{"test.fact": fact}
		}
		return w, nil
	}
	return a, nil
}

// TestRecordWatchesFilesAndMachine checks that work with StillValid is recorded only when it
// watches what StillValid reads, with the stamps taken after Run made the file, after Restore
// made it again and before StillValid found it whole; and that a record holds the machine
// facts of the work and checks them.
func TestRecordWatchesFilesAndMachine(t *testing.T) {
	// The file is made outside the workspace: a new name in its root would change the stamp
	// of a directory searched for BUILD.hcl files.
	out := filepath.Join(t.TempDir(), "out.txt")
	root := writeTree(t, map[string]string{
		"isobench.hcl": "",
		"BUILD.hcl":    "file \"f\" {\n  path = \"" + out + "\"\n  text = \"hello\"\n  watch = true\n  fact = \"one\"\n}\n",
	})
	store := openStore(t, t.TempDir())
	runs := newRunCounter()
	build := func() (*Record, error) {
		t.Helper()
		ws, diags := Load(root, LoadOptions{Kinds: []Kind{fileKind{runs: runs}}})
		if diags.HasErrors() {
			t.Fatal(renderAll(diags))
		}
		a, err := NewPlanner(ws).Plan(ws.Labels()[0])
		if err != nil {
			t.Fatal(err)
		}
		_, visits, err := Run(context.Background(), []*Action{a}, Options{Store: store, Workspace: ws, Jobs: 1})
		if err != nil {
			t.Fatal(err)
		}
		return NewRecord(ws, 1, []*Action{a}, visits, store)
	}
	watched := func(rec *Record) bool {
		return slices.ContainsFunc(rec.Inputs, func(s Stamp) bool { return s.Path == out })
	}

	rec, err := build() // Run writes the file
	if err != nil || !watched(rec) || runs.total() != 1 {
		t.Fatalf("a build that made the file: %v, %d runs, record %+v", err, runs.total(), rec)
	}
	if !rec.Unchanged() {
		t.Fatal("the record of the build that made the file is stale at once")
	}
	os.Remove(out)
	if rec.Unchanged() {
		t.Fatal("the record did not see its file deleted")
	}
	if rec, err = build(); err != nil || !watched(rec) || runs.total() != 1 { // Restore writes it
		t.Fatalf("a build that restored the file: %v, %d runs", err, runs.total())
	}
	if rec, err = build(); err != nil || !watched(rec) || !rec.Unchanged() { // replayed: StillValid
		t.Fatalf("a null build: %v", err)
	}
	os.WriteFile(out, []byte("HELLO"), 0o644)
	if rec.Unchanged() {
		t.Fatal("the record did not see its file edited")
	}

	if rec.Machine["test.fact"] != "one" {
		t.Errorf("the record's machine facts are %v", rec.Machine)
	}
	if !rec.MachineUnchanged(func(string) (string, bool) { return "one", true }) ||
		rec.MachineUnchanged(func(string) (string, bool) { return "two", true }) ||
		rec.MachineUnchanged(func(string) (string, bool) { return "", false }) {
		t.Error("MachineUnchanged does not compare the facts")
	}

	// Without Watch, StillValid stands for something the record cannot check.
	writeUnder(t, root, map[string]string{"BUILD.hcl": "file \"f\" {\n  path = \"" + out + "\"\n  text = \"hello\"\n}\n"})
	if _, err := build(); err == nil {
		t.Error("work with StillValid and no Watch was recorded")
	}
}
