package cache

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// A Remote is a client of a cache server that speaks Bazel's HTTP cache protocol: GET and PUT
// of /cas/<sha256> for blobs and /ac/<sha256> for action results, under a base URL. Any
// server Bazel users run for `--remote_cache=http...` works: bazel-remote, nginx with WebDAV,
// commercial caches. It shares results between machines: one machine builds and uploads,
// another replays without executing.
//
// Nothing the server sends is trusted. A blob is used only if its SHA-256 is its name; an
// action result only if it names the key that was asked for and every blob it names exists
// and verifies. A result that fails any check is refused with an error wrapping
// ErrRemoteInvalid, so that the action executes instead.
//
// A remote cache is an optimisation, never a reason for a build to fail. The first request
// that cannot reach the server, or that the server answers with an unexpected status, turns
// the client off: that call returns the error, once, and every later call returns
// ErrRemoteOff at once, so a build with its cache server down loses one timeout, not one per
// action.
//
// The value under /ac/<key> is a minimal ActionResult protobuf naming the entry's JSON as a
// CAS blob (remote_envelope.go says why). Methods are safe for concurrent use.
type Remote struct {
	base   *url.URL // ends in "/"
	shown  string   // base as it may appear in messages: no user info, no query
	token  string
	upload bool
	warn   func(string)
	client *http.Client
	// blobTimeout bounds each request, from connecting to the last byte of the body.
	blobTimeout time.Duration
	off         atomic.Bool
}

// RemoteOptions configure NewRemote.
type RemoteOptions struct {
	// URL is the server's base, e.g. "http://cache.internal:8080" or
	// "https://cache.example.com/isobench/". https uses TLS with the system's roots.
	URL string
	// Token, when set, is sent as "Authorization: Bearer <token>". It never appears in an
	// error or a warning. User info in the URL is sent as basic auth instead.
	Token string
	// ReadOnly turns uploads off: the client only reads, as CI jobs that must not publish do.
	ReadOnly bool
	// Warn receives the warnings of whoever uses the client (Remote.Warn); nil drops them.
	Warn func(msg string)
	// ConnectTimeout bounds connecting and the TLS handshake; default 5 s.
	ConnectTimeout time.Duration
	// BlobTimeout bounds each request as a whole; default 30 s.
	BlobTimeout time.Duration
	// TLSConfig, when set, replaces the default TLS settings (the system's roots), e.g. to
	// trust a private certificate authority.
	TLSConfig *tls.Config
}

// Defaults chosen so that a server that is down costs a build seconds, not minutes, while a
// blob of tens of megabytes (a dataset) still fits in one request over an ordinary link.
const (
	defaultConnectTimeout = 5 * time.Second
	defaultBlobTimeout    = 30 * time.Second
)

var (
	// ErrRemoteInvalid is wrapped by Fetch when the server's result failed verification; the
	// caller should warn and execute the action.
	ErrRemoteInvalid = errors.New("the remote cache's result failed verification")
	// ErrRemoteOff is returned by every call after the one that found the server unusable.
	ErrRemoteOff = errors.New("the remote cache is off for the rest of this build")
)

// NewRemote returns a client for the server at opts.URL. It does not contact the server.
func NewRemote(opts RemoteOptions) (*Remote, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("the remote cache URL %q is not an http:// or https:// URL with a host, such as http://cache.internal:8080", redactURL(opts.URL))
	}
	u.RawQuery, u.Fragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}
	shown := *u
	shown.User = nil
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = defaultConnectTimeout
	}
	if opts.BlobTimeout <= 0 {
		opts.BlobTimeout = defaultBlobTimeout
	}
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: opts.ConnectTimeout,
		TLSClientConfig:     opts.TLSConfig,
		ForceAttemptHTTP2:   true,
		// Every worker of a build may talk to the server at once.
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Remote{
		base: u, shown: strings.TrimSuffix(shown.String(), "/"), token: opts.Token,
		upload: !opts.ReadOnly, warn: opts.Warn,
		client:      &http.Client{Transport: transport},
		blobTimeout: opts.BlobTimeout,
	}, nil
}

// Warn passes a warning about the remote cache to RemoteOptions.Warn.
func (r *Remote) Warn(msg string) {
	if r.warn != nil {
		r.warn(msg)
	}
}

// Fetch looks key up on the server. On a hit it downloads the entry and every blob the entry
// names that into lacks, verifies all of them, stores the blobs and then the entry in into,
// and returns the entry. check, if not nil, is the caller's own test of the entry (the engine
// compares its key description); an error from it refuses the entry like a failed digest.
// A miss returns nil, nil.
//
// Errors: one wrapping ErrRemoteInvalid when the server's result is refused (nothing stored
// but blobs that verified); ErrRemoteOff when an earlier call turned the client off; the
// error that turned it off; or an error of into.
func (r *Remote) Fetch(ctx context.Context, key Digest, into *Store, check func(*Entry) error) (*Entry, error) {
	if err := key.check(); err != nil {
		return nil, err
	}
	envelope, found, err := r.get(ctx, "ac/"+string(key))
	if err != nil || !found {
		return nil, err
	}
	refs, err := decodeEnvelope(envelope)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrRemoteInvalid, err)
	}
	ref, err := entryRef(refs)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrRemoteInvalid, err)
	}
	raw, err := r.getBlob(ctx, ref.Hash, "the entry")
	if err != nil {
		return nil, err
	}
	e := new(Entry)
	if err := json.Unmarshal(raw, e); err != nil {
		return nil, fmt.Errorf("%w: the entry is not isobench's JSON: %s", ErrRemoteInvalid, err)
	}
	if err := verifyEntry(e, key); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrRemoteInvalid, err)
	}
	if check != nil {
		if err := check(e); err != nil {
			return nil, fmt.Errorf("%w: %s", ErrRemoteInvalid, err)
		}
	}
	for _, b := range entryBlobs(e) {
		if ok, err := into.Has(b.digest); err != nil {
			return nil, fmt.Errorf("looking up %s of action %s locally: %w", b.what, key, err)
		} else if ok {
			continue
		}
		data, err := r.getBlob(ctx, b.digest, b.what)
		if err != nil {
			return nil, err
		}
		if _, err := into.Put(data); err != nil {
			return nil, fmt.Errorf("storing the remote cache's result for action %s: %w", key, err)
		}
	}
	if err := into.PutEntry(e); err != nil {
		return nil, fmt.Errorf("storing the remote cache's result for action %s: %w", key, err)
	}
	return e, nil
}

// verifyEntry checks what can be checked of an entry without its blobs.
func verifyEntry(e *Entry, key Digest) error {
	if e.Key != key {
		return fmt.Errorf("the entry is for action %s, not %s", truncate(string(e.Key)), key)
	}
	switch e.Status {
	case "ok", "failed", "skipped":
	default:
		return fmt.Errorf("the entry has the status %q, which no stored result has", truncate(e.Status))
	}
	for _, b := range entryBlobs(e) {
		if !b.digest.Valid() {
			return fmt.Errorf("%s has the digest %q, which is not a SHA-256", b.what, truncate(string(b.digest)))
		}
	}
	return nil
}

// namedBlob is a blob of an entry with what it is, for messages.
type namedBlob struct {
	digest Digest
	what   string
}

// entryBlobs lists e's outputs (sorted by name) and log, each digest once.
func entryBlobs(e *Entry) []namedBlob {
	var bs []namedBlob
	seen := map[Digest]bool{}
	for _, name := range slices.Sorted(maps.Keys(e.Outputs)) {
		if d := e.Outputs[name]; !seen[d] {
			seen[d] = true
			bs = append(bs, namedBlob{d, fmt.Sprintf("output %q", name)})
		}
	}
	if e.Log != "" && !seen[e.Log] {
		bs = append(bs, namedBlob{e.Log, "the log"})
	}
	return bs
}

// Push uploads e, which from holds, to the server: its blobs first and the action result
// last, so that a reader never finds a result whose blobs are not there yet. It does nothing
// when the client is read-only. Errors: ErrRemoteOff, the error that turned the client off,
// or an error of from.
func (r *Remote) Push(ctx context.Context, e *Entry, from *Store) error {
	if !r.upload {
		return nil
	}
	if err := e.Key.check(); err != nil {
		return err
	}
	sizes := map[Digest]int64{}
	for _, b := range entryBlobs(e) {
		data, err := from.Get(b.digest)
		if err != nil {
			return fmt.Errorf("reading %s of action %s to upload it: %w", b.what, e.Key, err)
		}
		if err := r.putBlob(ctx, data); err != nil {
			return err
		}
		sizes[b.digest] = int64(len(data))
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding action %s: %w", e.Key, err)
	}
	if err := r.putBlob(ctx, raw); err != nil {
		return err
	}
	envelope := encodeEnvelope(envelopeRefs(Sum(raw), int64(len(raw)), e, sizes))
	return r.put(ctx, "ac/"+string(e.Key), envelope)
}

// getBlob downloads a blob and checks it against its name. A blob the server lacks or
// garbles makes the result that names it invalid; it does not turn the client off.
func (r *Remote) getBlob(ctx context.Context, d Digest, what string) ([]byte, error) {
	data, found, err := r.get(ctx, "cas/"+string(d))
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, fmt.Errorf("%w: %s (blob %s) is missing from the server", ErrRemoteInvalid, what, d)
	case Sum(data) != d:
		return nil, fmt.Errorf("%w: %s (blob %s) does not match its digest: the server sent %d bytes with SHA-256 %s",
			ErrRemoteInvalid, what, d, len(data), Sum(data))
	}
	return data, nil
}

func (r *Remote) putBlob(ctx context.Context, data []byte) error {
	return r.put(ctx, "cas/"+string(Sum(data)), data)
}

// get fetches base+path; found is false on 404.
func (r *Remote) get(ctx context.Context, path string) (data []byte, found bool, err error) {
	if r.off.Load() {
		return nil, false, ErrRemoteOff
	}
	ctx, cancel := context.WithTimeout(ctx, r.blobTimeout)
	defer cancel()
	resp, err := r.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, false, r.fail(ctx, "GET", path, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		io.Copy(io.Discard, resp.Body) // lets the connection be reused
		return nil, false, nil
	default:
		return nil, false, r.fail(ctx, "GET", path, statusError(resp))
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength))
	}
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, false, r.fail(ctx, "GET", path, err)
	}
	return buf.Bytes(), true, nil
}

// put uploads data to base+path. Servers answer 200, 201 or 204.
func (r *Remote) put(ctx context.Context, path string, data []byte) error {
	if r.off.Load() {
		return ErrRemoteOff
	}
	ctx, cancel := context.WithTimeout(ctx, r.blobTimeout)
	defer cancel()
	resp, err := r.do(ctx, http.MethodPut, path, data)
	if err != nil {
		return r.fail(ctx, "PUT", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return r.fail(ctx, "PUT", path, statusError(resp))
	}
	io.Copy(io.Discard, resp.Body)
	return nil
}

func (r *Remote) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	u := r.base.JoinPath(path)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		// The url.Error names the full URL, user info included; the cause alone is enough.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, err
	}
	return resp, nil
}

// fail turns the client off and returns the error to report, once. A request cancelled by
// the caller (the build was interrupted) says nothing about the server, so it leaves the
// client on and returns the caller's cancellation.
func (r *Remote) fail(ctx context.Context, method, path string, cause error) error {
	if parent := context.Cause(ctx); parent != nil && !errors.Is(parent, context.DeadlineExceeded) {
		return parent
	}
	if errors.Is(cause, context.DeadlineExceeded) {
		cause = fmt.Errorf("no answer within %s", r.blobTimeout)
	}
	if !r.off.CompareAndSwap(false, true) {
		return ErrRemoteOff
	}
	return fmt.Errorf("the remote cache %s failed (%s /%s: %s); going on with the local cache only for the rest of this build",
		r.shown, method, shortPath(path), cause)
}

// statusError describes an HTTP answer other than the ones expected, with a hint for the
// statuses that have one.
func statusError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	msg := resp.Status
	if s := strings.TrimSpace(string(body)); s != "" {
		msg += ": " + truncate(strings.ReplaceAll(s, "\n", " "))
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		msg += "; check the token (remote_cache_token_env in isobench.hcl)"
	}
	return errors.New(msg)
}

// shortPath abbreviates the digest in "ac/<digest>" for messages.
func shortPath(path string) string {
	if i := strings.IndexByte(path, '/'); i >= 0 && len(path)-i-1 > 12 {
		return path[:i+1] + path[i+1:i+13] + "..."
	}
	return path
}

// redactURL drops user info from a URL that may not parse, for the message that says so.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	if i := strings.Index(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "..." + s[i:]
		}
		return "..." + s[i:]
	}
	return s
}
