package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/isobench/isobench/cache"
)

// Worktree returns a checkout of the commit sha: a detached `git worktree add` of the mirror
// at <userCache>/worktrees/<sha>, shared by every action and every build that needs that
// commit (a source install, a benchmark command). It is made once: the first caller checks
// it out under an exclusive lock, the others wait and reuse it.
//
// The caller holds a shared lock on the worktree until it calls release, so that a cleaner
// (which takes the lock exclusively) never removes a tree in use. Callers must treat the tree
// as read-only: it is shared. One that needs to write into its sources (a build that leaves
// files next to them) takes a private copy with Archive instead.
//
// A worktree is ready when its marker <sha>.ready exists and its .git file points at an
// administrative directory that still exists; anything else (a crash half-way through a
// checkout, a mirror that was removed and cloned again) is removed and checked out anew.
func (m *Mirror) Worktree(ctx context.Context, sha string) (dir string, release func(), err error) {
	if !IsFullSHA(sha) {
		return "", nil, fmt.Errorf("a worktree needs a full commit SHA, not %q", sha)
	}
	sha = strings.ToLower(sha)
	dir = filepath.Join(m.userCache, "worktrees", sha)
	lock, err := cache.LockFile(ctx, dir+".lock", syscall.LOCK_SH)
	if err != nil {
		return "", nil, fmt.Errorf("cannot lock the worktree of %s: %w", Short(sha), err)
	}
	if worktreeReady(dir) {
		return dir, lock.Unlock, nil
	}
	if err := lock.Relock(ctx, syscall.LOCK_EX); err != nil {
		lock.Unlock()
		return "", nil, fmt.Errorf("cannot lock the worktree of %s: %w", Short(sha), err)
	}
	if !worktreeReady(dir) {
		if err := m.addWorktree(ctx, sha, dir); err != nil {
			lock.Unlock()
			return "", nil, err
		}
	}
	if err := lock.Relock(ctx, syscall.LOCK_SH); err != nil {
		lock.Unlock()
		return "", nil, err
	}
	return dir, lock.Unlock, nil
}

func worktreeReady(dir string) bool {
	if _, err := os.Stat(dir + ".ready"); err != nil {
		return false
	}
	data, err := os.ReadFile(filepath.Join(dir, ".git"))
	if err != nil {
		return false
	}
	gitdir, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir: ")
	if !ok {
		return false
	}
	_, err = os.Stat(gitdir)
	return err == nil
}

// addWorktree checks sha out at dir; the caller holds the exclusive lock.
func (m *Mirror) addWorktree(ctx context.Context, sha, dir string) error {
	os.Remove(dir + ".ready")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := m.EnsureCommit(ctx, sha); err != nil {
		return err
	}
	// prune forgets worktrees whose directory is gone (the one just removed among them), so
	// that the new one may take the same name in the mirror's administrative area.
	if _, err := runGit(ctx, sealed, m.Dir, nil, "worktree", "prune"); err != nil {
		return err
	}
	if _, err := runGit(ctx, sealed, m.Dir, nil, "worktree", "add", "--detach", "--force", "--quiet", dir, sha); err != nil {
		return fmt.Errorf("cannot check out %s from %s: %w", Short(sha), m.Display, err)
	}
	f, err := os.Create(dir + ".ready")
	if err != nil {
		return err
	}
	return f.Close()
}

// Archive writes the tree of commit sha into dir (created when missing), as `git archive |
// tar -x` would: the files only, no .git, private to the caller. It fetches the commit when
// the mirror lacks it.
func (m *Mirror) Archive(ctx context.Context, sha, dir string) error {
	if !IsFullSHA(sha) {
		return fmt.Errorf("an archive needs a full commit SHA, not %q", sha)
	}
	if err := m.EnsureCommit(ctx, sha); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	archive := gitCommand(ctx, sealed, m.Dir, "archive", "--format=tar", sha)
	tar := exec.CommandContext(ctx, "tar", "-x", "-f", "-", "-C", dir)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return err
	}
	tar.Stdin = pipe
	var archiveErr, tarErr strings.Builder
	archive.Stderr, tar.Stderr = &archiveErr, &tarErr
	if err := archive.Start(); err != nil {
		return err
	}
	if err := tar.Start(); err != nil {
		archive.Process.Kill()
		archive.Wait()
		return err
	}
	tErr := tar.Wait()
	if tErr != nil {
		// tar stopped reading: do not let git block on a full pipe.
		io.Copy(io.Discard, pipe)
	}
	aErr := archive.Wait()
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case aErr != nil:
		return &gitError{args: []string{"archive"}, stderr: archiveErr.String(), err: aErr}
	case tErr != nil:
		return errors.New("tar could not extract the archive of " + Short(sha) + ": " + strings.TrimSpace(tarErr.String()))
	}
	return nil
}
