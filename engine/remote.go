package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/cache"
)

// Remote is a cache shared by several machines, beside the build's local store: read through
// on a local miss, written through after a result is stored. One machine builds a dataset
// with its API key and GPU; another, with neither, replays every result and writes the same
// files. *cache.Remote (Bazel's HTTP cache protocol) implements it.
//
// The remote is an optimisation only. Nothing it says is used unverified, and nothing it does
// fails a build: a result it cannot vouch for is ignored with a warning and the action
// executes; a server that cannot be reached is warned about once and the build goes on with
// the local store alone.
type Remote interface {
	// Fetch looks key up remotely. On a hit it verifies the entry and every blob the entry
	// names, stores them in into (blobs, then the entry) and returns the entry; a miss is
	// nil, nil. check is the engine's own test of an entry; an error from it, or a failed
	// verification, gives an error wrapping cache.ErrRemoteInvalid.
	Fetch(ctx context.Context, key cache.Digest, into *cache.Store, check func(*cache.Entry) error) (*cache.Entry, error)
	// Push uploads e and the blobs it names, read from from, unless uploads are off.
	Push(ctx context.Context, e *cache.Entry, from *cache.Store) error
	// Warn reports a problem that does not fail the build; the command prints it on stderr.
	// Fetch and Push return cache.ErrRemoteOff after the call whose error turned the remote
	// off, so warning about every other error warns about an unreachable server once.
	Warn(msg string)
}

// remoteHitsCounter counts, in the build summary, the results a build took from the remote.
const remoteHitsCounter = "remote_hits"

// remoteFetch is the scheduler's lookup in the remote after a local miss. On a hit, the entry
// and its blobs are in the local store when it returns, so the result replays as a local one
// would and downstream actions read its outputs from the local store.
func (s *scheduler) remoteFetch(ctx context.Context, a *Action, key cache.Digest, desc string) (*cache.Entry, bool) {
	r := s.opt.Remote
	// A read-only store (a status beside a build) cannot take what would be downloaded, and
	// an action to be executed again (--rerun) has no use for it.
	if r == nil || s.opt.Store.ReadOnly() || matchesAny(s.opt.Rerun, a.Label) {
		return nil, false
	}
	e, err := r.Fetch(ctx, key, s.opt.Store, func(e *cache.Entry) error {
		// The key is the digest of the description, so a description that differs means a
		// forged or broken entry, whatever its key field says.
		if e.Lines != desc {
			return errors.New("its key description is not this action's")
		}
		return nil
	})
	switch {
	case err == nil && e != nil:
		s.mu.Lock()
		if s.summary.Counters == nil {
			s.summary.Counters = map[string]int64{}
		}
		s.summary.Counters[remoteHitsCounter]++
		s.mu.Unlock()
		return e, true
	case err == nil, errors.Is(err, cache.ErrRemoteOff), ctx.Err() != nil:
	case errors.Is(err, cache.ErrRemoteInvalid):
		r.Warn(fmt.Sprintf("ignoring the remote cache's result for %s, so it executes here: %s", a.ID, err))
	default:
		r.Warn(err.Error())
	}
	return nil, false
}

// remotePush uploads a result just stored. The build's context is not passed down to here,
// and need not be: a result that was produced is worth sharing even while the build is being
// interrupted, and the client's timeouts bound the wait.
func (s *scheduler) remotePush(a *Action, e *cache.Entry) {
	r := s.opt.Remote
	if r == nil {
		return
	}
	if err := r.Push(context.Background(), e, s.opt.Store); err != nil && !errors.Is(err, cache.ErrRemoteOff) {
		r.Warn(fmt.Sprintf("the result of %s was not uploaded: %s", a.ID, err))
	}
}

// envVarName is what remote_cache_token_env must look like: the name of a variable, not the
// token itself.
var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkRemoteCache checks the remote cache settings of the workspace block, so that a mistake
// points at isobench.hcl rather than surfacing as a warning in the middle of a build.
func checkRemoteCache(body *Body) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if u := body.String("remote_cache"); u != "" {
		if _, err := cache.NewRemote(cache.RemoteOptions{URL: u}); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid remote cache URL",
				Detail: upperFirst(err.Error()) + ".", Subject: body.AttrRange("remote_cache").Ptr()})
		}
	}
	if v := body.String("remote_cache_token_env"); v != "" && !envVarName.MatchString(v) {
		// The value is not repeated: it may well be the token itself.
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid environment variable name",
			Detail: "remote_cache_token_env names the environment variable that holds the token, such as " +
				"ISOBENCH_REMOTE_CACHE_TOKEN; the token itself belongs in that variable, never in isobench.hcl.",
			Subject: body.AttrRange("remote_cache_token_env").Ptr()})
	}
	return diags
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
