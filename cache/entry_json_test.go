package cache

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// entrySeeds are entries as PutEntry writes them: every field, escapes in the strings, Meta
// with nesting and braces in its strings.
func entrySeeds(t testing.TB) [][]byte {
	created := time.Date(2026, 12, 2, 9, 1, 21, 481984891, time.UTC)
	entries := []Entry{
		{},
		{Key: key("a"), Status: "ok", Outputs: map[string]Digest{"commit.json": key("o"), "log": key("l")}, Log: key("l"),
			Meta:  json.RawMessage(`{"files":[1,2,{"x":"}]\"\\"}],"n":-1.5e3,"t":true,"z":null}`),
			Lines: "isobench-schema 1\nkind commit\nhead \"quoted\"\ttab\\slash/\r\b\f\n", Mnemonic: "commit", Created: created, Duration: 1500 * time.Millisecond},
		{Key: key("b"), Status: "failed", Class: "exit", Message: "blocked by //a:b: <html> & é ☃ \u2028 \x01", BlockedBy: "//a:b",
			Outputs: map[string]Digest{}, Meta: json.RawMessage(`[]`), Created: created.In(time.FixedZone("x", 3600)), Duration: -7},
	}
	var out [][]byte
	for _, e := range entries {
		b, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// Entries as json.Marshal writes them are read without json.Unmarshal, to the same value.
func TestDecodeEntryFastPath(t *testing.T) {
	for _, b := range entrySeeds(t)[:2] {
		var fast, want Entry
		if !(&entryReader{b: b}).entry(&fast) {
			t.Errorf("the fast path refused %s", b)
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Errorf("decoded %s\nas %+v\nwant %+v", b, fast, want)
		}
	}
}

// decodeEntry accepts what json.Unmarshal accepts, decodes it to the same Entry, and fails
// where it fails.
func FuzzDecodeEntry(f *testing.F) {
	for _, b := range entrySeeds(f) {
		f.Add(b)
	}
	for _, s := range []string{`{"key":"a" }`, `{"Key":"a"}`, `{"key":"a","key":"b"}`, `{"duration":01}`, `{"duration":1e3}`,
		`{"meta":null}`, `{"meta":{"a":]}`, `{"outputs":{"a":"b","a":"c"}}`, `{"lines":"\u00e9\ud83d\ude00"}`, `{"kind":"\xff"}`,
		`{"created":"2026-12-02T09:01:21Z"}`, `{"created":"yesterday"}`, `{"status":"ok"}x`, `{"duration":-9223372036854775809}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want Entry
		gotErr, wantErr := decodeEntry(b, &got), json.Unmarshal(b, &want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("decodeEntry(%q) = %v, json.Unmarshal = %v", b, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeEntry(%q) = %+v\njson.Unmarshal = %+v", b, got, want)
		}
	})
}
