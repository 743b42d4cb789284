package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Two environments for git. Reads that produce commit facts or check out trees run "sealed":
// no system or global configuration and no replace refs, because a user's diff.renames,
// diff.algorithm, core.autocrlf or a refs/replace/* object fetched into the mirror would change
// the bytes of the facts, and they must be the same on every machine. Clones and fetches run
// with the user's configuration, which holds what reaching a server needs (credential helpers,
// proxies, url.insteadOf), but never prompt: a build must not hang waiting on a terminal.
type gitMode int

const (
	sealed gitMode = iota
	network
)

// repoLocators are the variables with which a parent git process (a hook, `git rebase
// --exec`) points its children at its own repository; inherited, they would send our
// commands to the user's checkout instead of the mirror. `git rev-parse --local-env-vars`
// prints this list.
var repoLocators = map[string]bool{
	"GIT_ALTERNATE_OBJECT_DIRECTORIES": true, "GIT_CONFIG": true, "GIT_CONFIG_PARAMETERS": true,
	"GIT_CONFIG_COUNT": true, "GIT_OBJECT_DIRECTORY": true, "GIT_DIR": true, "GIT_WORK_TREE": true,
	"GIT_IMPLICIT_WORK_TREE": true, "GIT_GRAFT_FILE": true, "GIT_INDEX_FILE": true,
	"GIT_NO_REPLACE_OBJECTS": true, "GIT_REPLACE_REF_BASE": true, "GIT_PREFIX": true,
	"GIT_SHALLOW_FILE": true, "GIT_COMMON_DIR": true, "GIT_NAMESPACE": true,
	"GIT_CEILING_DIRECTORIES": true, "GIT_QUARANTINE_PATH": true,
}

func gitEnv(mode gitMode) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if repoLocators[name] || strings.HasPrefix(name, "GIT_CONFIG_KEY_") || strings.HasPrefix(name, "GIT_CONFIG_VALUE_") {
			continue
		}
		if mode == sealed && strings.HasPrefix(name, "GIT_") {
			continue
		}
		if name == "LC_ALL" || name == "LANGUAGE" {
			continue
		}
		env = append(env, kv)
	}
	// LC_ALL=C keeps git's messages in English, so the errors we wrap read the same everywhere.
	env = append(env, "LC_ALL=C", "GIT_TERMINAL_PROMPT=0")
	if mode == sealed {
		env = append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_NO_REPLACE_OBJECTS=1",
			"GIT_ATTR_NOSYSTEM=1")
	}
	return env
}

// gitCommand prepares git with args in dir.
func gitCommand(ctx context.Context, mode gitMode, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv(mode)
	return cmd
}

// gitError is a git command that failed: what ran and what git said.
type gitError struct {
	args   []string
	stderr string
	err    error
}

func (e *gitError) Error() string {
	msg := strings.TrimSpace(e.stderr)
	if msg == "" {
		msg = e.err.Error()
	}
	// git prefixes its messages with "fatal: " or "error: "; one sentence reads better.
	msg = strings.TrimPrefix(strings.TrimPrefix(msg, "fatal: "), "error: ")
	return fmt.Sprintf("git %s failed: %s", e.args[0], msg)
}

func (e *gitError) Unwrap() error { return e.err }

// runGit runs git to completion and returns its stdout.
func runGit(ctx context.Context, mode gitMode, dir string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := gitCommand(ctx, mode, dir, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &gitError{args: args, stderr: stderr.String(), err: err}
	}
	return stdout.Bytes(), nil
}
