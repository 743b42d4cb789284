package environment

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/isobench/isobench/rules/artifact"
	"github.com/isobench/isobench/rules/gitrepo"
)

// The commit's own tree is needed when there is no wheel (fallback = "source") and when the
// commit's Python code is used in place (install = "pythonpath"). Both read it from the
// repository's mirror in the per-user cache (gitrepo), which a replayed commit action may
// never have fetched on this machine: EnsureCommit fetches then.

// sourceError is a failure to get the commit's tree: the repository cannot be reached, or
// git failed. It is a fact about this machine and moment, so transient.
type sourceError struct{ msg string }

func (e *sourceError) Error() string { return e.msg }

// archiveSource writes the commit's files, without .git, into dst: a private copy that
// becomes part of the environment (install = "pythonpath").
func archiveSource(ctx context.Context, userCache, root string, facts *artifact.CommitFacts, sha, dst string) error {
	m, err := gitrepo.ForFacts(userCache, root, facts)
	if err != nil {
		return &sourceError{err.Error()}
	}
	if err := m.Archive(ctx, sha, dst); err != nil {
		return &sourceError{fmt.Sprintf("The source of %s cannot be copied from %s: %s", gitrepo.Short(sha), m.Display, strings.TrimSuffix(err.Error(), "."))}
	}
	return nil
}

// checkoutSource makes a private Git checkout of the commit at dst for a source install.
// Not the shared worktree: a build writes into its source directory (build/, *.egg-info),
// and two builds of one commit for two environments must not meet there. Not an archive
// either: projects that take their version from Git (setuptools_scm, as vLLM does) need the
// repository. A clone with --shared borrows the mirror's objects, so it costs a checkout.
func checkoutSource(ctx context.Context, userCache, root string, facts *artifact.CommitFacts, sha, dst string) error {
	m, err := gitrepo.ForFacts(userCache, root, facts)
	if err != nil {
		return &sourceError{err.Error()}
	}
	fail := func(err error) error {
		return &sourceError{fmt.Sprintf("The source of %s cannot be checked out from %s: %s", gitrepo.Short(sha), m.Display, strings.TrimSuffix(err.Error(), "."))}
	}
	if err := m.EnsureCommit(ctx, sha); err != nil {
		return fail(err)
	}
	if err := git(ctx, "", "clone", "--shared", "--no-checkout", "--quiet", m.Dir, dst); err != nil {
		return fail(err)
	}
	if err := git(ctx, dst, "checkout", "--quiet", "--detach", sha); err != nil {
		return fail(err)
	}
	return nil
}

// git runs git without the user's or the system's configuration (which could change the
// checked-out bytes: core.autocrlf, filters) and without a terminal to prompt on.
func git(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "LC_ALL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("git %s: %s", args[0], strings.TrimSpace(string(out)))
	}
	return nil
}
