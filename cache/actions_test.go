package cache

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestPutEntryGetEntryHistory(t *testing.T) {
	s := openTest(t)
	k := key("//bench:decode measure")
	if _, ok, err := s.GetEntry(k); ok || err != nil {
		t.Fatalf("GetEntry before any Put = %v, %v", ok, err)
	}

	out, err := s.Put([]byte(`{"speedup": 1.21}`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i, status := range []string{"failed", "ok", "ok"} {
		e := &Entry{
			Key:      k,
			Status:   status,
			Outputs:  map[string]Digest{"record": out},
			Meta:     json.RawMessage(fmt.Sprintf(`{"run":%d}`, i)),
			Lines:    "kind measure\nrule_version 1\n",
			Mnemonic: "measure",
			Created:  t0.Add(time.Duration(i) * time.Hour),
			Duration: 90 * time.Second,
		}
		if err := s.PutEntry(e); err != nil {
			t.Fatal(err)
		}
	}

	got, ok, err := s.GetEntry(k)
	if err != nil || !ok {
		t.Fatalf("GetEntry = %v, %v", ok, err)
	}
	if string(got.Meta) != `{"run":2}` || !got.Created.Equal(t0.Add(2*time.Hour)) || got.Outputs["record"] != out || got.Duration != 90*time.Second {
		t.Errorf("GetEntry = %+v, want run 2", got)
	}

	hist, err := s.History(k)
	if err != nil {
		t.Fatal(err)
	}
	var runs []string
	for _, e := range hist {
		runs = append(runs, e.Status+" "+string(e.Meta))
	}
	if want := []string{`failed {"run":0}`, `ok {"run":1}`}; strings.Join(runs, "|") != strings.Join(want, "|") {
		t.Errorf("History = %q, want %q (oldest first)", runs, want)
	}
}

func TestHistoryOrderIsByCreatedNotByInsertion(t *testing.T) {
	s := openTest(t)
	k := key("a")
	t0 := time.Now()
	// Created goes back and forth; each replaced entry lands in history at
	// its own Created time.
	for _, h := range []int{5, 1, 3, 9} {
		if err := s.PutEntry(&Entry{Key: k, Status: "ok", Message: fmt.Sprint(h), Created: t0.Add(time.Duration(h) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	hist, err := s.History(k)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range hist {
		got = append(got, e.Message)
	}
	if strings.Join(got, ",") != "1,3,5" {
		t.Errorf("History = %v, want 1,3,5", got)
	}
}

func TestConcurrentPutEntrySameKeyLosesNothing(t *testing.T) {
	s := openTest(t)
	k := key("raced")
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := s.PutEntry(&Entry{Key: k, Status: "ok", Message: fmt.Sprint(i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	hist, err := s.History(k)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != n-1 {
		t.Errorf("%d history records, want %d: each Put but the last was moved there", len(hist), n-1)
	}
}

func TestGetEntryAndDelete(t *testing.T) {
	s := openTest(t)
	for _, name := range []string{"a", "b", "c"} {
		if err := s.PutEntry(&Entry{Key: key(name), Status: "ok", Mnemonic: "commit"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutEntry(&Entry{Key: key("a"), Status: "failed", Mnemonic: "commit"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEntry(key("b")); err != nil {
		t.Fatal(err)
	}
	got := map[Digest]*Entry{}
	for _, k := range []Digest{key("a"), key("b"), key("c"), key("never")} {
		e, ok, err := s.GetEntry(k)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got[k] = e
		}
	}
	if len(got) != 2 || got[key("a")].Status != "failed" || got[key("c")] == nil {
		t.Errorf("GetEntry found %v, want a (failed) and c", got)
	}
	if err := s.DeleteEntry(key("a")); err != nil {
		t.Fatal(err)
	}
	if hist, err := s.History(key("a")); len(hist) != 0 || err != nil {
		t.Errorf("History after DeleteEntry = %v, %v; want none", hist, err)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 1 || st.ByMnemonic["commit"] != 1 || st.ByStatus["ok"] != 1 || st.HistoryEntries != 0 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestPutEntryRefusesBadDigests(t *testing.T) {
	s := openTest(t)
	for _, e := range []*Entry{
		{Key: "not-a-digest"},
		{Key: key("a"), Outputs: map[string]Digest{"x": "short"}},
		{Key: key("a"), Log: "short"},
	} {
		if err := s.PutEntry(e); err == nil {
			t.Errorf("PutEntry(%+v) succeeded", e)
		}
	}
}

// fillEntries stores n entries shaped like the engine's: a dozen key lines,
// two outputs and a log. Concurrent Puts let Badger group their fsyncs.
func fillEntries(tb testing.TB, s *Store, n int) []Digest {
	tb.Helper()
	keys := make([]Digest, n)
	for i := range keys {
		keys[i] = key(fmt.Sprint("target ", i))
	}
	var lines strings.Builder
	for j := range 12 {
		fmt.Fprintf(&lines, "attr_%d %s\n", j, Sum([]byte(fmt.Sprint(j))))
	}
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := w; i < n; i += 32 {
				e := &Entry{
					Key:      keys[i],
					Status:   "ok",
					Outputs:  map[string]Digest{"script": key(fmt.Sprint("s", i)), "record": key(fmt.Sprint("r", i))},
					Log:      key(fmt.Sprint("l", i)),
					Meta:     json.RawMessage(`{"tokens":1234,"model":"some-model"}`),
					Lines:    lines.String(),
					Mnemonic: "generate",
					Duration: time.Second,
				}
				if err := s.PutEntry(e); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return keys
}

// BenchmarkReader10k is the lookup of a null build of 10,000 targets, through
// a Reader as a walk's worker looks them up, which must take well under a
// second; it reports the process's peak RSS, which must stay under 300 MB.
func BenchmarkReader10k(b *testing.B) {
	s := openTest(b)
	keys := fillEntries(b, s, 10_000)
	b.ResetTimer()
	for b.Loop() {
		readAll(b, s, keys)
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB") // Linux reports KiB
	}
}

// readAll looks every key up through one Reader, as a walk's worker does.
func readAll(b *testing.B, s *Store, keys []Digest) {
	r := s.Reader()
	defer r.Close()
	for _, k := range keys {
		if _, ok, err := r.GetEntry(k); !ok || err != nil {
			b.Fatalf("GetEntry(%s) = %v, %v", k, ok, err)
		}
	}
}
