package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/isobench/isobench/cache/remotetest"
)

// newRemote returns a client of url whose warnings the test can read.
func newRemote(t *testing.T, url string, opts RemoteOptions) (*Remote, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var warnings []string
	opts.URL = url
	opts.Warn = func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, msg)
	}
	r, err := NewRemote(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, &warnings
}

// storeResult puts a result with three outputs and a log into s, as the engine does after an
// action ran, and returns its entry.
func storeResult(t *testing.T, s *Store, name string) *Entry {
	t.Helper()
	e := &Entry{Key: key(name), Status: "ok", Mnemonic: "test", Lines: "step " + name + "\n",
		Meta: json.RawMessage(`{"tokens":12}`), Outputs: map[string]Digest{}, Created: time.Now().UTC().Truncate(time.Second)}
	for _, out := range []string{"out", "report"} {
		d, err := s.Put([]byte(out + " of " + name))
		if err != nil {
			t.Fatal(err)
		}
		e.Outputs[out] = d
	}
	// An empty output is a blob like any other (bazel-remote treats the empty digest
	// specially).
	empty, err := s.Put(nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Outputs["empty"] = empty
	d, err := s.Put([]byte("log of " + name + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	e.Log = d
	if err := s.PutEntry(e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRemoteSharesAResultBetweenStores(t *testing.T) {
	srv := remotetest.Start(t)
	r, warnings := newRemote(t, srv.URL, RemoteOptions{})
	ctx := context.Background()
	a, b := openTest(t), openTest(t)
	want := storeResult(t, a, "shared")

	if err := r.Push(ctx, want, a); err != nil {
		t.Fatalf("Push: %v\nserver log:\n%s", err, srv.Log())
	}
	got, err := r.Fetch(ctx, want.Key, b, nil)
	if err != nil || got == nil {
		t.Fatalf("Fetch = %v, %v; want the entry", got, err)
	}
	stored, ok, err := b.GetEntry(want.Key)
	if err != nil || !ok {
		t.Fatalf("the fetched entry is not in the local store: %v", err)
	}
	wantJSON, _ := json.Marshal(want)
	for _, e := range []*Entry{got, stored} {
		if j, _ := json.Marshal(e); !bytes.Equal(j, wantJSON) {
			t.Errorf("entry after the round trip:\n%s\nwant:\n%s", j, wantJSON)
		}
	}
	for _, d := range append([]Digest{want.Log}, want.Outputs["out"], want.Outputs["report"], want.Outputs["empty"]) {
		local, err := a.Get(d)
		if err != nil {
			t.Fatal(err)
		}
		fetched, err := b.Get(d)
		if err != nil || !bytes.Equal(fetched, local) {
			t.Errorf("blob %s in the second store: %q, %v; want %q", d, fetched, err, local)
		}
	}
	if len(*warnings) != 0 {
		t.Errorf("warnings: %q", *warnings)
	}

	// A key the server never saw is a miss, not an error.
	if e, err := r.Fetch(ctx, key("never built"), b, nil); e != nil || err != nil {
		t.Errorf("Fetch of an unknown key = %v, %v; want nil, nil", e, err)
	}
}

// The value under /ac/ must be an ActionResult that bazel-remote's default validation
// accepts (it answered the Push above), and that names every blob, so that a server that
// checks an action result's output files before serving it finds all of them.
func TestRemoteEnvelopeNamesEveryBlob(t *testing.T) {
	e := &Entry{Key: key("x"), Status: "ok", Outputs: map[string]Digest{"b": Sum([]byte("b")), "a": Sum([]byte("a"))}, Log: Sum([]byte("log"))}
	sizes := map[Digest]int64{e.Outputs["a"]: 1, e.Outputs["b"]: 1, e.Log: 3}
	entry := Sum([]byte("{}"))
	refs, err := decodeEnvelope(encodeEnvelope(envelopeRefs(entry, 2, e, sizes)))
	if err != nil {
		t.Fatal(err)
	}
	want := []blobRef{
		{envelopeEntryPath, entry, 2},
		{envelopeOutputPath + "a", e.Outputs["a"], 1},
		{envelopeOutputPath + "b", e.Outputs["b"], 1},
		{envelopeLogPath, e.Log, 3},
	}
	if fmt.Sprint(refs) != fmt.Sprint(want) {
		t.Errorf("decoded envelope:\n%v\nwant:\n%v", refs, want)
	}
	// Fields a server adds are skipped: bazel-remote appends execution_metadata (field 9)
	// naming the worker that uploaded.
	extra := append(encodeEnvelope(want[:1]), 0x4a, 0x07, 0x42, 0x05, '1', '2', '7', '.', '0')
	if refs, err := decodeEnvelope(extra); err != nil || len(refs) != 1 || refs[0] != want[0] {
		t.Errorf("envelope with execution_metadata: %v, %v", refs, err)
	}
	if _, err := decodeEnvelope([]byte(`{"key":"not a protobuf"}`)); err == nil {
		t.Error("JSON decoded as an ActionResult")
	}
}

func TestRemoteIgnoresCorruptBlobs(t *testing.T) {
	for _, what := range []string{"output", "entry"} {
		t.Run(what, func(t *testing.T) {
			srv := remotetest.Start(t)
			r, _ := newRemote(t, srv.URL, RemoteOptions{})
			ctx := context.Background()
			a, b := openTest(t), openTest(t)
			e := storeResult(t, a, "tampered "+what)
			if err := r.Push(ctx, e, a); err != nil {
				t.Fatal(err)
			}
			victim := e.Outputs["report"]
			if what == "entry" {
				raw, _ := json.Marshal(e)
				victim = Sum(raw)
			}
			if err := srv.Corrupt(string(victim)); err != nil {
				t.Fatal(err)
			}

			got, err := r.Fetch(ctx, e.Key, b, nil)
			if got != nil || !errors.Is(err, ErrRemoteInvalid) {
				t.Fatalf("Fetch of a corrupt result = %v, %v; want an error wrapping ErrRemoteInvalid", got, err)
			}
			if !strings.Contains(err.Error(), string(victim)) || !strings.Contains(err.Error(), "does not match its digest") {
				t.Errorf("the error should name the blob and say what is wrong: %v", err)
			}
			if _, ok, _ := b.GetEntry(e.Key); ok {
				t.Error("a corrupt result was stored in the local store")
			}
			if ok, _ := b.Has(victim); ok {
				t.Error("the corrupt blob was stored in the local store")
			}
			// Verification failed, the server is fine: the client stays on.
			if e2, err := r.Fetch(ctx, key("other"), b, nil); e2 != nil || err != nil {
				t.Errorf("the next Fetch = %v, %v; want a plain miss", e2, err)
			}
			// Uploading the result again repairs the server's copy.
			if err := r.Push(ctx, e, a); err != nil {
				t.Fatal(err)
			}
			if got, err := r.Fetch(ctx, e.Key, b, nil); err != nil || got == nil {
				t.Errorf("Fetch after the repair = %v, %v", got, err)
			}
		})
	}
}

// Action results the server holds but that are not what was asked for are refused: one
// filed under another key, one another tool wrote, one the caller's own check rejects, one
// whose blob the server lacks.
func TestRemoteRefusesMismatchedResults(t *testing.T) {
	srv := remotetest.Start(t)
	r, _ := newRemote(t, srv.URL, RemoteOptions{})
	ctx := context.Background()
	a := openTest(t)
	real := storeResult(t, a, "real")
	if err := r.Push(ctx, real, a); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(real)
	if err := r.putBlob(ctx, raw); err != nil {
		t.Fatal(err)
	}
	// bazel-remote serves an action result only while the blobs it names exist.
	if err := r.putBlob(ctx, []byte("a")); err != nil {
		t.Fatal(err)
	}
	entryOnly := []blobRef{{envelopeEntryPath, Sum(raw), int64(len(raw))}}
	missing := Sum([]byte("never uploaded"))
	withMissing := *real
	withMissing.Key = key("missing blob")
	withMissing.Outputs = map[string]Digest{"out": missing}
	rawMissing, _ := json.Marshal(&withMissing)
	if err := r.putBlob(ctx, rawMissing); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		key      Digest
		envelope []byte
		check    func(*Entry) error
		want     string
	}{
		{"entry of another key", key("stolen"), encodeEnvelope(entryOnly), nil, "the entry is for action " + string(real.Key)},
		{"written by another tool", key("bazel"), encodeEnvelope([]blobRef{{"bazel-out/k8-fastbuild/bin/app", Sum([]byte("a")), 1}}), nil, "names no isobench/entry.json"},
		{"refused by the caller", real.Key, nil, func(e *Entry) error { return errors.New("its description differs") }, "its description differs"},
		{"blob missing", withMissing.Key, encodeEnvelope([]blobRef{{envelopeEntryPath, Sum(rawMissing), int64(len(rawMissing))}}), nil,
			`output "out" (blob ` + string(missing) + `) is missing from the server`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.envelope != nil {
				if err := r.put(ctx, "ac/"+string(c.key), c.envelope); err != nil {
					t.Fatal(err)
				}
			}
			b := openTest(t)
			got, err := r.Fetch(ctx, c.key, b, c.check)
			if got != nil || !errors.Is(err, ErrRemoteInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Fetch = %v, %v; want an error wrapping ErrRemoteInvalid that says %q", got, err, c.want)
			}
			if _, ok, _ := b.GetEntry(c.key); ok {
				t.Error("a refused result was stored")
			}
		})
	}
}

func TestRemoteDownTurnsOffOnce(t *testing.T) {
	addr, err := remotetest.FreeAddr() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	r, _ := newRemote(t, "http://user:secret@"+addr, RemoteOptions{Token: "s3cr3t-token"})
	s := openTest(t)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = r.Fetch(context.Background(), key(fmt.Sprint(i)), s, nil) })
	}
	wg.Wait()
	var reported []error
	for _, err := range errs {
		switch {
		case err == nil:
			t.Fatal("a Fetch from a server that is down succeeded")
		case !errors.Is(err, ErrRemoteOff):
			reported = append(reported, err)
		}
	}
	if len(reported) != 1 {
		t.Fatalf("%d calls reported the failure, want exactly 1: %v", len(reported), reported)
	}
	msg := reported[0].Error()
	for _, want := range []string{"http://" + addr, "connection refused", "local cache only"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error %q does not say %q", msg, want)
		}
	}
	for _, secret := range []string{"secret", "s3cr3t"} {
		if strings.Contains(msg, secret) {
			t.Errorf("the error %q shows a credential", msg)
		}
	}
	if err := r.Push(context.Background(), storeResult(t, s, "after"), s); !errors.Is(err, ErrRemoteOff) {
		t.Errorf("Push after the failure = %v, want ErrRemoteOff", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a refused connection took %s to notice", d)
	}
}

func TestRemoteReadOnlyUploadsNothing(t *testing.T) {
	srv := remotetest.Start(t)
	ro, _ := newRemote(t, srv.URL, RemoteOptions{ReadOnly: true})
	rw, _ := newRemote(t, srv.URL, RemoteOptions{})
	ctx := context.Background()
	a := openTest(t)
	e := storeResult(t, a, "ci")
	if err := ro.Push(ctx, e, a); err != nil {
		t.Fatal(err)
	}
	if got, err := rw.Fetch(ctx, e.Key, openTest(t), nil); got != nil || err != nil {
		t.Fatalf("a read-only client uploaded: Fetch = %v, %v", got, err)
	}
	if err := rw.Push(ctx, e, a); err != nil {
		t.Fatal(err)
	}
	if got, err := ro.Fetch(ctx, e.Key, openTest(t), nil); got == nil || err != nil {
		t.Fatalf("a read-only client cannot read: Fetch = %v, %v", got, err)
	}
}

// plainCache is the smallest server of Bazel's HTTP cache protocol, as nginx with WebDAV
// is: it stores what it is given under the path it is given and checks nothing. It records
// each request's Authorization header.
type plainCache struct {
	mu    sync.Mutex
	blobs map[string][]byte
	auth  []string
}

func (c *plainCache) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.auth = append(c.auth, req.Header.Get("Authorization"))
	if req.Header.Get("Authorization") != "Bearer s3cr3t-token" {
		http.Error(w, "who are you?", http.StatusUnauthorized)
		return
	}
	switch req.Method {
	case http.MethodGet:
		data, ok := c.blobs[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Write(data)
	case http.MethodPut:
		data, _ := io.ReadAll(req.Body)
		c.blobs[req.URL.Path] = data
		w.WriteHeader(http.StatusCreated)
	}
}

func TestRemoteOverTLSWithTokenAndPrefix(t *testing.T) {
	cache := &plainCache{blobs: map[string][]byte{}}
	srv := httptest.NewTLSServer(cache)
	t.Cleanup(srv.Close)
	tlsConfig := srv.Client().Transport.(*http.Transport).TLSClientConfig
	r, _ := newRemote(t, srv.URL+"/team/isobench", RemoteOptions{Token: "s3cr3t-token", TLSConfig: tlsConfig})
	ctx := context.Background()
	a, b := openTest(t), openTest(t)
	e := storeResult(t, a, "tls")
	if err := r.Push(ctx, e, a); err != nil {
		t.Fatal(err)
	}
	if _, ok := cache.blobs["/team/isobench/ac/"+string(e.Key)]; !ok {
		t.Errorf("the action result is not under the URL's path; the server holds %v", mapKeys(cache.blobs))
	}
	if got, err := r.Fetch(ctx, e.Key, b, nil); got == nil || err != nil {
		t.Fatalf("Fetch over TLS = %v, %v", got, err)
	}
	for _, h := range cache.auth {
		if h != "Bearer s3cr3t-token" {
			t.Fatalf("a request went without the token: %q", h)
		}
	}

	// The wrong token: the server says 401, the client turns off, and the message says what
	// to check without repeating the token.
	wrong, _ := newRemote(t, srv.URL+"/team/isobench", RemoteOptions{Token: "wrong-token", TLSConfig: tlsConfig})
	_, err := wrong.Fetch(ctx, e.Key, openTest(t), nil)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "token") || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("Fetch with a wrong token: %v", err)
	}

	// Only http and https URLs with a host are accepted, and a refusal shows no password.
	if _, err := NewRemote(RemoteOptions{URL: "ftp://cache"}); err == nil {
		t.Error("an ftp:// URL was accepted")
	}
	if _, err := NewRemote(RemoteOptions{URL: "cache.internal:8080"}); err == nil {
		t.Error("a URL without a scheme was accepted")
	}
	if _, err := NewRemote(RemoteOptions{URL: "http://u:hunter2@[::1"}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("an unparsable URL with a password: %v", err)
	}
}

func mapKeys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
