package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/isobench/isobench/cache"
)

// recordedBuild loads root, builds every target into store and returns the build's record.
func recordedBuild(t testing.TB, root string, store *cache.Store) *Record {
	t.Helper()
	ws := mustLoad(t, root, LoadOptions{})
	roots := planTargets(t, ws)
	all := Closure(roots)
	_, visits, err := Run(context.Background(), roots, Options{Store: store, Workspace: ws, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecord(ws, len(roots), all, visits, store)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestRecordRoundTripAndDamage(t *testing.T) {
	root := writeTree(t, map[string]string{
		"isobench.hcl":  "",
		"a/names.txt":   "x\ny\n",
		"a/BUILD.hcl":   "thing \"t\" {\n  for_each = toset(split(\"\\n\", trimspace(file(\"names.txt\"))))\n  text = \"a\\tb ${each.key}\"\n}\n",
		"b/c/BUILD.hcl": "thing \"u\" {\n  text = \"\\\"quoted\\\"\\nline\"\n  dep = \"//a:t.x\"\n}\n",
	})
	store := openStore(t, t.TempDir())
	rec := recordedBuild(t, root, store)
	var paths []string
	for _, s := range rec.Inputs {
		paths = append(paths, s.Path)
	}
	want := []string{root, filepath.Join(root, "a"), filepath.Join(root, "a/BUILD.hcl"), filepath.Join(root, "a/names.txt"),
		filepath.Join(root, "b"), filepath.Join(root, "b/c"), filepath.Join(root, "b/c/BUILD.hcl"), filepath.Join(root, "isobench.hcl")}
	if !slices.Equal(paths, want) {
		t.Errorf("stamped %v, want %v", paths, want)
	}
	if len(rec.Actions) != 3 || rec.Targets != 3 {
		t.Fatalf("recorded %d actions of %d targets, want 3 of 3", len(rec.Actions), rec.Targets)
	}

	path := filepath.Join(t.TempDir(), "rec")
	rec.Request = "req"
	if err := rec.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRecord(path)
	if err == nil {
		err = got.parseActions()
	}
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Actions, rec.Actions) || got.Generation != rec.Generation || got.Request != "req" || !got.Unchanged() {
		t.Fatalf("read back %+v\nwrote %+v", got, rec)
	}

	data, _ := os.ReadFile(path)
	for name, bad := range map[string][]byte{
		"torn":     data[:len(data)/2],
		"no end":   data[:len(data)-1],
		"one byte": append(append([]byte{}, data[:40]...), append([]byte{data[40] ^ 1}, data[41:]...)...),
		"empty":    nil,
	} {
		os.WriteFile(path, bad, 0o644)
		if r, err := ReadRecord(path); err == nil && r.parseActions() == nil {
			t.Errorf("a %s record was read", name)
		}
	}
}

// TestRecordSeesChanges changes each sort of input behind a record's back. Its stamps are
// not racy, so times, sizes and inodes alone must tell (TestRacyStampUsesContent checks
// the content sums of racy ones).
func TestRecordSeesChanges(t *testing.T) {
	defer func(w time.Duration) { racyWindow = w }(racyWindow)
	racyWindow = 0
	files := map[string]string{
		"isobench.hcl": "",
		"a/names.txt":  "x\n",
		"a/BUILD.hcl":  "thing \"t\" {\n  text = file(\"names.txt\")\n}\n",
	}
	for name, change := range map[string]func(root string){
		"BUILD.hcl edited":      func(root string) { appendTo(t, filepath.Join(root, "a/BUILD.hcl"), "\n") },
		"file() input edited":   func(root string) { appendTo(t, filepath.Join(root, "a/names.txt"), "y\n") },
		"a new package":         func(root string) { writeUnder(t, root, map[string]string{"n/BUILD.hcl": ""}) },
		"a package removed":     func(root string) { os.Remove(filepath.Join(root, "a/BUILD.hcl")) },
		"a nested workspace":    func(root string) { writeUnder(t, root, map[string]string{"a/isobench.hcl": ""}) },
		"isobench.hcl edited":   func(root string) { appendTo(t, filepath.Join(root, "isobench.hcl"), "\n") },
		"same bytes, same time": sameBytesSameTime,
	} {
		t.Run(name, func(t *testing.T) {
			root := writeTree(t, files)
			store := openStore(t, t.TempDir())
			rec := recordedBuild(t, root, store)
			if !rec.Unchanged() {
				t.Fatal("a record is changed before anything changed")
			}
			change(root)
			if rec.Unchanged() {
				t.Error("the record did not see the change")
			}
		})
	}
}

// sameBytesSameTime rewrites a file with other bytes of the same size and puts its old
// modification time back: only the inode's change time (or, for a racy stamp, the content)
// tells.
func sameBytesSameTime(root string) {
	p := filepath.Join(root, "a/names.txt")
	fi, _ := os.Stat(p)
	os.WriteFile(p, []byte("z\n"), 0o644)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
}

// TestRacyStampUsesContent checks that a file stamped right after it was written is
// confirmed by its content, so that an edit within the filesystem's time resolution is seen.
func TestRacyStampUsesContent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("one\n"), 0o644)
	st, err := StampOf(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sum == "" {
		t.Fatal("a file written just now has no content sum")
	}
	if !st.Unchanged() {
		t.Fatal("an unchanged racy file is changed")
	}
	old := st.Sum
	st.Change, st.ModTime = 0, 0
	if st.Unchanged() {
		t.Fatal("stamps with other times are unchanged")
	}
	// An edit of the same size that the times cannot tell: a stamp of the file as it is now
	// but with the sum of what it held before.
	os.WriteFile(p, []byte("two\n"), 0o644)
	if st, err = StampOf(p); err != nil {
		t.Fatal(err)
	}
	st.Sum = old
	if st.Unchanged() {
		t.Fatal("a racy stamp did not see its content change")
	}
}

func TestReplayRefusesAChangedStore(t *testing.T) {
	root := benchWorkspace(t, 3)
	store := openStore(t, t.TempDir())
	rec := recordedBuild(t, root, store)
	var events []Event
	h := handlerFunc(func(e Event) { events = append(events, e) })
	sum, err := Replay(context.Background(), rec, Options{Store: store, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Cached != 4 || sum.Executed != 0 || len(events) != 4 || !events[0].Cached {
		t.Fatalf("replay: %+v, %d events", sum, len(events))
	}
	if err := store.DeleteEntry(rec.Actions[0].Key); err != nil {
		t.Fatal(err)
	}
	events = nil
	if _, err := Replay(context.Background(), rec, Options{Store: store, Handler: h}); !errors.Is(err, ErrRecordStale) || len(events) != 0 {
		t.Fatalf("replay after an entry was deleted: %v, %d events", err, len(events))
	}
}

type handlerFunc func(Event)

func (f handlerFunc) Event(e Event) { f(e) }

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Close()
}

// BenchmarkRecordReplay10k is a null build of 10,000 targets answered from its record: read
// it, check its stamps, check the store's generation, emit the events. The record is fresh,
// so the keys are not marked used again (touchInterval), as in most null builds.
func BenchmarkRecordReplay10k(b *testing.B) {
	root := benchWorkspace(b, 10000)
	store, err := cache.Open(b.TempDir(), cache.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	path := filepath.Join(b.TempDir(), "rec")
	if err := recordedBuild(b, root, store).Write(path); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec, err := ReadRecord(path)
		if err != nil || !rec.Unchanged() {
			b.Fatalf("the record cannot be used: %v", err)
		}
		if _, err := Replay(context.Background(), rec, Options{Store: store, Handler: nopHandler{}}); err != nil {
			b.Fatal(err)
		}
	}
}

// writeUnder writes files (slash paths) under root.
func writeUnder(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReplayMarksUseHourly checks that a build answered from its record marks its keys used
// when the last mark is an hour old, and then not again for an hour.
func TestReplayMarksUseHourly(t *testing.T) {
	store := openStore(t, t.TempDir())
	path := filepath.Join(t.TempDir(), "rec")
	if err := recordedBuild(t, benchWorkspace(t, 2), store).Write(path); err != nil {
		t.Fatal(err)
	}
	read := func() *Record {
		t.Helper()
		rec, err := ReadRecord(path)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	if read().TouchDue() {
		t.Fatal("a record just written is due to mark its keys")
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(path, old, old)
	rec := read()
	if !rec.TouchDue() {
		t.Fatal("a record marked two hours ago is not due")
	}
	if _, err := Replay(context.Background(), rec, Options{Store: store}); err != nil {
		t.Fatal(err)
	}
	if read().TouchDue() {
		t.Fatal("the replay did not note its marks")
	}
}

// TestRecordSeesChangesAmongMany checks the parallel stamp check of a workspace of many
// packages.
func TestRecordSeesChangesAmongMany(t *testing.T) {
	files := map[string]string{"isobench.hcl": ""}
	for i := range 130 {
		files[fmt.Sprintf("p%03d/BUILD.hcl", i)] = fmt.Sprintf("thing \"t\" {\n  text = \"%d\"\n}\n", i)
	}
	root := writeTree(t, files)
	store := openStore(t, t.TempDir())
	rec := recordedBuild(t, root, store)
	if len(rec.Inputs) < 256 || !rec.Unchanged() { // enough for onEveryCPU to start two workers
		t.Fatalf("%d inputs, unchanged %v", len(rec.Inputs), rec.Unchanged())
	}
	appendTo(t, filepath.Join(root, "p129/BUILD.hcl"), "\n")
	if rec.Unchanged() {
		t.Error("an edit of the last of 130 packages was not seen")
	}
}
