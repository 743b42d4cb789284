package gitrepo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/isobench/isobench/cache"
)

// A Mirror is a bare copy of a repository under the per-user cache, shared by every workspace
// and every build of this user. isobench reads commits only from mirrors: the user's own
// checkout is cloned from, never written to (no fetch into it, no worktree of it).
//
// A mirror is created whole or not at all: it is cloned into a temporary directory and
// renamed into place, so a directory at Dir is always a complete mirror. Creation and fetches
// hold an exclusive lock on Dir+".lock", so two processes never fetch into one mirror at once;
// readers need no lock, as a fetch only adds objects and moves refs atomically.
type Mirror struct {
	// URL is where the repository is reached: a URL, an absolute path or a bundle file.
	URL string
	// Dir is the bare mirror: <userCache>/repos/<name>-<hash of URL>.git.
	Dir string
	// Display names the repository in messages (the URL as the user wrote it).
	Display string

	userCache string
}

// NewMirror names the mirror of the repository at url under userCache. It touches nothing on
// disk; Ensure creates the mirror. url must already be resolved (Locate): a relative path
// would name a different repository from every directory.
func NewMirror(userCache, url string) *Mirror {
	sum := sha256.Sum256([]byte(url))
	name := safeRepoName(url) + "-" + hex.EncodeToString(sum[:])[:16] + ".git"
	return &Mirror{URL: url, Dir: filepath.Join(userCache, "repos", name), Display: url, userCache: userCache}
}

// safeRepoName is the last path element of url without .git or .bundle, reduced to
// characters safe in a file name, so that a person listing the cache sees which repository
// each mirror holds ("vllm-3f2a….git").
func safeRepoName(url string) string {
	url = strings.TrimRight(url, "/")
	if i := strings.LastIndexAny(url, "/:"); i >= 0 {
		url = url[i+1:]
	}
	url = strings.TrimSuffix(strings.TrimSuffix(url, ".git"), ".bundle")
	var b strings.Builder
	for _, r := range url {
		if r < 128 && (r == '-' || r == '_' || r == '.' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := strings.TrimLeft(b.String(), ".")
	if len(name) > 40 {
		name = name[:40]
	}
	if name == "" {
		name = "repo"
	}
	return name
}

// Exists reports whether the mirror has been created.
func (m *Mirror) Exists() bool {
	_, err := os.Stat(filepath.Join(m.Dir, "HEAD"))
	return err == nil
}

func (m *Mirror) lockPath() string  { return m.Dir + ".lock" }
func (m *Mirror) stampPath() string { return m.Dir + ".fetched" }

// Ensure creates the mirror when it does not exist. It reports whether it cloned, in which
// case the mirror is as fresh as a fetch would make it.
func (m *Mirror) Ensure(ctx context.Context) (cloned bool, err error) {
	if m.Exists() {
		return false, nil
	}
	if err := m.checkSource(); err != nil {
		return false, err
	}
	lock, err := cache.LockFile(ctx, m.lockPath(), syscall.LOCK_EX)
	if err != nil {
		return false, fmt.Errorf("cannot lock the mirror of %s: %w", m.Display, err)
	}
	defer lock.Unlock()
	if m.Exists() { // another process cloned it while we waited
		return false, nil
	}
	// A clone killed half-way leaves its temporary directory; holding the lock, we know no
	// clone is running, so any such directory is garbage.
	if stale, _ := filepath.Glob(m.Dir + ".tmp-*"); len(stale) > 0 {
		for _, d := range stale {
			os.RemoveAll(d)
		}
	}
	start := time.Now()
	tmp, err := os.MkdirTemp(filepath.Dir(m.Dir), filepath.Base(m.Dir)+".tmp-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp) // a no-op after the rename
	// --mirror copies every ref (branches, tags, pull refs) and sets up `git fetch` to update
	// them all. It reads bundles as well as repositories. A local source is hard-linked,
	// which is safe: objects are immutable and the links keep them if the user prunes.
	if _, err := runGit(ctx, network, "", nil, "clone", "--mirror", "--quiet", "--", m.URL, tmp); err != nil {
		return false, m.unreachable("cannot be cloned", err)
	}
	if err := os.Rename(tmp, m.Dir); err != nil {
		return false, err
	}
	return true, m.stamp(start)
}

// checkSource fails early and clearly when a local source is missing: git's own message
// ("does not appear to be a git repository") hides that the path is simply wrong.
func (m *Mirror) checkSource() error {
	if !IsLocal(m.URL) {
		return nil
	}
	if _, err := os.Stat(m.URL); err != nil {
		what := "repository"
		if IsBundle(m.URL) {
			what = "bundle"
		}
		return &Error{Class: ClassUnreachable, Transient: true, Err: err,
			Msg: fmt.Sprintf("The %s %s does not exist (looked for %s).", what, m.Display, m.URL)}
	}
	return nil
}

func (m *Mirror) unreachable(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &Error{Class: ClassUnreachable, Transient: true, Err: err,
		Msg: fmt.Sprintf("The repository %s %s: %v.", m.Display, what, strings.TrimSuffix(err.Error(), "."))}
}

// stamp records when the fetch that brought the mirror up to date began.
func (m *Mirror) stamp(start time.Time) error {
	f, err := os.Create(m.stampPath())
	if err != nil {
		return err
	}
	f.Close()
	return os.Chtimes(m.stampPath(), start, start)
}

// Fetch brings the mirror up to date with its source, creating it when missing. It reports
// whether git fetched (or cloned). When another process's fetch began after this call did,
// that fetch already brought everything this one would, and Fetch returns without fetching:
// forty builds started together fetch once, not forty times.
func (m *Mirror) Fetch(ctx context.Context) (bool, error) {
	requested := time.Now()
	cloned, err := m.Ensure(ctx)
	if err != nil || cloned {
		return cloned, err
	}
	if err := m.checkSource(); err != nil {
		return false, err
	}
	lock, err := cache.LockFile(ctx, m.lockPath(), syscall.LOCK_EX)
	if err != nil {
		return false, fmt.Errorf("cannot lock the mirror of %s: %w", m.Display, err)
	}
	defer lock.Unlock()
	if st, err := os.Stat(m.stampPath()); err == nil && !st.ModTime().Before(requested) {
		return false, nil
	}
	start := time.Now()
	// --prune drops refs deleted upstream, so a ref resolves as the source has it now.
	if _, err := runGit(ctx, network, m.Dir, nil, "fetch", "--prune", "--quiet", "origin"); err != nil {
		return false, m.unreachable("cannot be fetched", err)
	}
	return true, m.stamp(start)
}

// HasCommit reports whether sha names a commit present in the mirror (false when the mirror
// does not exist). It runs one git process; a Session answers many questions with one.
func (m *Mirror) HasCommit(ctx context.Context, sha string) (bool, error) {
	if !m.Exists() {
		return false, nil
	}
	out, err := runGit(ctx, sealed, m.Dir, strings.NewReader(sha+"^{commit}\n"), "cat-file", "--batch-check")
	if err != nil {
		return false, err
	}
	return !strings.HasSuffix(strings.TrimSpace(string(out)), " missing"), nil
}

// EnsureCommit makes sure the commit sha is in the mirror: it creates the mirror when missing
// and fetches when the commit is not there. Rules that check out a commit whose facts were
// replayed from the cache call it, since this machine may never have fetched that commit.
func (m *Mirror) EnsureCommit(ctx context.Context, sha string) error {
	cloned, err := m.Ensure(ctx)
	if err != nil {
		return err
	}
	if ok, err := m.HasCommit(ctx, sha); err != nil || ok {
		return err
	}
	if !cloned {
		if _, err = m.Fetch(ctx); err != nil {
			return err
		}
	}
	if ok, err := m.HasCommit(ctx, sha); err != nil || ok {
		return err
	}
	return m.unknown(sha, true)
}

// unknown is the error for a commit the mirror does not hold.
func (m *Mirror) unknown(rev string, fetched bool) error {
	when := "fetched just now"
	if !fetched {
		// An inspection does not fetch; say how old the mirror it looked in is, so that a
		// status right after a build that fetched does not suggest building again.
		when = "as last fetched; status does not fetch"
		if fi, err := os.Stat(filepath.Join(m.Dir, "FETCH_HEAD")); err == nil {
			when = fmt.Sprintf("as fetched at %s; status does not fetch", fi.ModTime().Local().Format(time.DateTime))
		}
	}
	what, name := "commit", rev
	switch {
	case IsFullSHA(rev):
		name = Short(rev)
	case !isPrefix(rev):
		what = "ref"
	}
	return &Error{Class: ClassUnknownCommit,
		Msg: fmt.Sprintf("The %s %s is not in repository %s (%s).", what, name, m.Display, when)}
}
