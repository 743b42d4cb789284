// Package gitrepo is the Git plumbing the rules share: mirrors of the repositories a
// workspace names, resolution of revisions to commits, the facts of a commit, and checkouts.
//
// # Mirrors
//
// Every repository is read through a bare mirror under the per-user cache
// (<userCache>/repos/<name>-<hash of URL>.git), whatever it is declared as: a URL (https,
// ssh, file), a local checkout or a Git bundle file. The user's own checkout is only ever
// cloned from. A mirror is created by `git clone --mirror` into a temporary directory renamed
// into place, and updated by `git fetch --prune`, both under an exclusive flock on a lock file
// next to it, so two processes never fetch into one mirror at once.
//
// # Resolution without git
//
// A workspace may declare 10,000 commits, and a build where all of them are cached must take
// well under a second. A full SHA is therefore its own answer: resolving it runs no process,
// and neither does its default base, "the first parent of head", which is as immutable as
// head itself and enters action keys as the words "first-parent". Git is asked only when a
// commit's facts are read (an action that is not replayed from the cache) or when a revision
// is a ref or an abbreviation. Those are answered by a Session: one per mirror per build,
// with one long-lived `git cat-file --batch` process and a memo, fetching at most once.
//
// # Determinism
//
// Commit facts are an action output, so their bytes must be the same on every machine: git
// runs with no user or system configuration and no replace refs when it reads them (see
// git.go), diffs spell out every option that has a configurable default, and nothing in the
// facts names a path on this machine.
//
// # Checkouts
//
// Worktree gives a shared, read-only checkout of a commit (a `git worktree add --detach` of
// the mirror, made once); Archive gives a private copy of a commit's tree.
package gitrepo
