package gitrepo

import "errors"

// Failure classes of commit resolution, as the commit rule reports them.
//
// unknown_commit, ambiguous_commit and root_commit are facts about the commits the user named:
// they stay true however often the build is run, so the commit rule caches them (a
// `--retry-failed` build asks again). repo_unreachable is a fact about this machine and this
// moment (the network is down, a server refuses us, a local path or bundle is not where the
// BUILD file says); nothing in an action key captures it, so it is always transient and never
// cached, even when the path does not exist: creating the path must be enough to fix the build.
const (
	ClassUnknownCommit   = "unknown_commit"
	ClassAmbiguousCommit = "ambiguous_commit"
	ClassRootCommit      = "root_commit"
	ClassUnreachable     = "repo_unreachable"
	// ClassNotFetched is `status` meeting a repository no build has fetched yet: not a
	// mistake, only something a build will learn (transient, like repo_unreachable).
	ClassNotFetched = "not_fetched"
)

// Error is a failure with a class. Its message is a full sentence meant for the user.
type Error struct {
	Class     string
	Msg       string
	Transient bool
	// Candidates lists the commits an ambiguous prefix matches.
	Candidates []string
	Err        error
}

func (e *Error) Error() string { return e.Msg }

func (e *Error) Unwrap() error { return e.Err }

// ClassOf returns the class of err when it is (or wraps) an *Error, and "" otherwise.
func ClassOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ""
}

// IsTransient reports whether err is an *Error that must not be cached.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient
}
