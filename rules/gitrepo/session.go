package gitrepo

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// A Session is one build's (or one status walk's) use of a mirror. It answers every question
// of the build through one cat-file process, remembers what it resolved, and fetches at most
// once:
//
//   - A full SHA needs nothing: it is its own answer, and it is checked only when the commit is
//     read, by a Run that is not replayed from the cache.
//   - A ref ("main", "v1.0", "HEAD~3") moves, so a building session fetches before the first
//     ref is resolved, once for the whole build, and every ref of the build resolves against
//     the same fetch.
//   - A prefix or a full SHA missing from the mirror makes a building session fetch once,
//     then look again; the answer after that fetch is final for the build.
//
// A session that is not building (status, why) never fetches, never clones: it uses the
// mirror as it is, and says so when the answer might have changed upstream.
type Session struct {
	m        *Mirror
	building bool
	cat      *catFile
	// rawDiff and patchDiff read the two halves of commit facts (facts.go).
	rawDiff, patchDiff *diffTree

	fetchMu  sync.Mutex
	fetched  bool // this session fetched or cloned (or tried to: see fetchErr)
	fetchErr error

	mu      sync.Mutex
	gen     int // bumped by every fetch: answers from before it are forgotten
	memo    map[string]object
	pending []string
}

// Session starts a session over the mirror. building says whether it may clone and fetch.
func (m *Mirror) Session(building bool) *Session {
	return &Session{m: m, building: building, cat: newCatFile(m.Dir), memo: map[string]object{},
		rawDiff: newDiffTree(m.Dir, rawDiffArgs), patchDiff: newDiffTree(m.Dir, patchDiffArgs)}
}

// Mirror returns the session's mirror.
func (s *Session) Mirror() *Mirror { return s.m }

// Want queues revisions the build will resolve, so that the first lookup asks git about all
// of them at once. Full SHAs are ignored: they are never looked up.
func (s *Session) Want(revs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range revs {
		if r != "" && !IsFullSHA(r) {
			s.pending = append(s.pending, r)
		}
	}
}

// Fetched reports whether this session has fetched (or cloned) the mirror.
func (s *Session) Fetched() bool {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	return s.fetched
}

// fetch fetches the mirror unless this session already did. A failed fetch is remembered too:
// the build does not knock on an unreachable server once per commit.
func (s *Session) fetch(ctx context.Context) (did bool, err error) {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	if s.fetched {
		return false, s.fetchErr
	}
	if _, err := s.m.Fetch(ctx); err != nil {
		if ctx.Err() != nil {
			return false, err // cancelled: a later build tries again, and so may this one
		}
		s.fetched, s.fetchErr = true, err
		return false, err
	}
	s.fetched = true
	s.forget()
	return true, nil
}

// forget drops every answer from before a fetch and ends the git processes, which would
// still see the refs as they were when they started.
func (s *Session) forget() {
	s.mu.Lock()
	s.gen++
	s.memo = map[string]object{}
	s.mu.Unlock()
	s.Close()
}

// ensure makes sure the mirror exists: a building session clones it (which counts as its
// fetch), an inspecting one reports that it cannot answer.
func (s *Session) ensure(ctx context.Context) error {
	if s.m.Exists() {
		return nil
	}
	if !s.building {
		return &Error{Class: ClassNotFetched, Transient: true, Msg: fmt.Sprintf(
			"the repository %s has not been fetched on this machine yet, and only a build fetches; run isobench build first", s.m.Display)}
	}
	_, err := s.fetch(ctx)
	return err
}

// lookup asks cat-file about name, together with every queued revision not yet answered.
func (s *Session) lookup(ctx context.Context, name string) (object, error) {
	s.mu.Lock()
	if o, ok := s.memo[name]; ok {
		s.mu.Unlock()
		return o, nil
	}
	gen := s.gen
	names := []string{name}
	for _, p := range s.pending {
		if _, ok := s.memo[p]; !ok && p != name {
			names = append(names, p)
		}
	}
	s.mu.Unlock()

	query := make([]string, len(names))
	for i, n := range names {
		query[i] = n + "^{commit}"
	}
	objs, err := s.cat.query(ctx, query)
	if err != nil {
		return object{}, err
	}
	s.mu.Lock()
	if s.gen == gen {
		for i, n := range names {
			objs[i].Data = nil // resolution keeps names only; commits are read when needed
			s.memo[n] = objs[i]
		}
	}
	s.mu.Unlock()
	return objs[0], nil
}

// Resolve turns a revision into the full SHA of the commit it names. A full SHA comes back at
// once (lower-cased), without git. The error is an *Error of class unknown_commit,
// ambiguous_commit or repo_unreachable, or a plain error when git itself failed.
func (s *Session) Resolve(ctx context.Context, rev string) (string, error) {
	if IsFullSHA(rev) {
		return strings.ToLower(rev), nil
	}
	if msg := CheckRev(rev); msg != "" {
		return "", &Error{Class: ClassUnknownCommit, Msg: fmt.Sprintf("The revision %q cannot be used: %s.", rev, msg)}
	}
	if !isPrefix(rev) && s.building {
		if _, err := s.fetch(ctx); err != nil {
			return "", err
		}
	} else if err := s.ensure(ctx); err != nil {
		return "", err
	}
	o, err := s.lookup(ctx, rev)
	if err != nil {
		return "", err
	}
	if o.Missing && s.building && !s.Fetched() {
		if _, err := s.fetch(ctx); err != nil {
			return "", err
		}
		if o, err = s.lookup(ctx, rev); err != nil {
			return "", err
		}
	}
	if o.Missing && isPrefix(rev) {
		// cat-file answers "missing" for a prefix that peels to several commits; asked
		// without peeling, it says whether the prefix matches several objects at all.
		objs, err := s.cat.query(ctx, []string{rev})
		if err != nil {
			return "", err
		}
		if objs[0].Ambiguous {
			if err := s.ambiguous(ctx, rev); err != nil {
				return "", err
			}
		}
	}
	if o.Missing || o.Ambiguous {
		return "", s.m.unknown(rev, s.Fetched())
	}
	return o.SHA, nil
}

// ambiguous builds the error for a prefix that names several commits, listing them so the
// user can pick one. It returns nil when the prefix matches fewer than two commits (the other
// objects it matches are trees and blobs, which a commit target cannot mean).
func (s *Session) ambiguous(ctx context.Context, prefix string) error {
	e := &Error{Class: ClassAmbiguousCommit}
	out, err := runGit(ctx, sealed, s.m.Dir, nil, "rev-parse", "--disambiguate="+prefix)
	if err != nil {
		return err
	}
	for _, sha := range strings.Fields(string(out)) {
		if c, err := s.Commit(ctx, sha); err == nil {
			e.Candidates = append(e.Candidates, fmt.Sprintf("%s (%s, %q)", Short(c.SHA), c.Date, c.Subject))
		}
	}
	if len(e.Candidates) < 2 {
		return nil
	}
	list := strings.Join(e.Candidates, ", ")
	const maxListed = 10
	if len(e.Candidates) > maxListed {
		list = strings.Join(e.Candidates[:maxListed], ", ") + fmt.Sprintf(" and %d more", len(e.Candidates)-maxListed)
	}
	e.Msg = fmt.Sprintf("The prefix %s is ambiguous in repository %s: it matches %d commits: %s. Write more digits of the SHA.",
		prefix, s.m.Display, len(e.Candidates), list)
	return e
}

// Commit reads the commit sha (a full SHA) from the mirror. When it is missing, a building
// session fetches once and looks again; the error is then an *Error of class unknown_commit.
func (s *Session) Commit(ctx context.Context, sha string) (*Commit, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	o, err := s.readCommit(ctx, sha)
	if err != nil {
		return nil, err
	}
	if o.Missing && s.building && !s.Fetched() {
		if _, err := s.fetch(ctx); err != nil {
			return nil, err
		}
		if o, err = s.readCommit(ctx, sha); err != nil {
			return nil, err
		}
	}
	switch {
	case o.Missing:
		return nil, s.m.unknown(sha, s.Fetched())
	case o.Type != "commit":
		return nil, &Error{Class: ClassUnknownCommit,
			Msg: fmt.Sprintf("The object %s in repository %s is a %s, not a commit.", Short(sha), s.m.Display, o.Type)}
	}
	return parseCommit(o.SHA, o.Data)
}

func (s *Session) readCommit(ctx context.Context, sha string) (object, error) {
	objs, err := s.cat.query(ctx, []string{sha})
	if err != nil {
		return object{}, err
	}
	return objs[0], nil
}

// Close ends the session's git processes now rather than after their idle time.
func (s *Session) Close() {
	s.cat.close()
	s.rawDiff.close()
	s.patchDiff.close()
}
