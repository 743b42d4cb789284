// Package gittest makes real Git repositories for tests: commits with fixed authors and
// dates (so SHAs are the same on every run), tags, bundles, and long histories through
// `git fast-import`.
package gittest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Repo is a non-bare repository in a test's temporary directory, on branch main.
type Repo struct {
	t    testing.TB
	Dir  string
	tick int64 // seconds added to the base date for each commit, so dates differ and sort
}

// baseDate is the first commit's date (2025-01-01T00:00:00Z).
const baseDate = 1735689600

// New creates an empty repository in a new temporary directory.
func New(t testing.TB) *Repo {
	t.Helper()
	return NewAt(t, filepath.Join(t.TempDir(), "src"))
}

// NewAt creates an empty repository at dir.
func NewAt(t testing.TB, dir string) *Repo {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &Repo{t: t, Dir: dir}
	r.Git("init", "--quiet", "--initial-branch=main")
	return r
}

// Env is the environment of git commands: no user or system configuration (a developer's
// commit.gpgsign or hooks must not change a test), and fixed identities and dates.
func (r *Repo) Env() []string {
	date := fmt.Sprintf("%d +0100", baseDate+r.tick)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	return append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "LC_ALL=C",
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=Ada Lovelace", "GIT_COMMITTER_EMAIL=ada@example.com", "GIT_COMMITTER_DATE="+date)
}

// Git runs git in the repository and returns its trimmed stdout; a failure ends the test.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return r.GitInput(nil, args...)
}

// GitInput runs git with stdin.
func (r *Repo) GitInput(stdin []byte, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = r.Dir, r.Env()
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// Commit writes files (path -> content; the content Delete removes the file), stages
// everything and commits with msg. It returns the new commit's SHA.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.t.Helper()
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(r.Dir, filepath.FromSlash(p))
		if files[p] == Delete {
			if err := os.Remove(full); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(files[p]), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.Git("add", "--all")
	r.tick += 3600
	r.Git("commit", "--quiet", "--allow-empty", "--message", msg)
	return r.Git("rev-parse", "HEAD")
}

// Delete as a file's content in Commit removes the file.
const Delete = "\x00delete"

// Move renames a file with git mv (the next Commit records it).
func (r *Repo) Move(from, to string) {
	r.t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(r.Dir, filepath.FromSlash(to))), 0o755); err != nil {
		r.t.Fatal(err)
	}
	r.Git("mv", from, to)
}

// Bundle writes every ref of the repository to a bundle file and returns its path.
func (r *Repo) Bundle(path string) string {
	r.t.Helper()
	r.Git("bundle", "create", "--quiet", path, "--all")
	return path
}

// FastImport appends n commits to branch, each changing one line of one of a few files, in
// one `git fast-import` run (thousands of commits per second, where `git commit` makes tens).
// It returns their SHAs, oldest first.
func (r *Repo) FastImport(branch string, n int) []string {
	r.t.Helper()
	return r.fastImport(branch, n, true)
}

// EmptyCommits appends n commits that change nothing (same tree as their parent) to branch,
// as FastImport does. Their facts need no diff, so thousands of them build in seconds.
func (r *Repo) EmptyCommits(branch string, n int) []string {
	r.t.Helper()
	return r.fastImport(branch, n, false)
}

func (r *Repo) fastImport(branch string, n int, change bool) []string {
	r.t.Helper()
	var b bytes.Buffer
	from := ""
	if out, err := r.run("rev-parse", "--verify", "--quiet", "refs/heads/"+branch); err == nil {
		from = strings.TrimSpace(out)
	}
	for i := 1; i <= n; i++ {
		r.tick += 60
		date := fmt.Sprintf("%d +0000", baseDate+r.tick)
		msg := fmt.Sprintf("change %d of %s\n", i, branch)
		content := fmt.Sprintf("line %d\n", i)
		fmt.Fprintf(&b, "commit refs/heads/%s\nmark :%d\n", branch, i)
		fmt.Fprintf(&b, "author Bulk Importer <bulk@example.com> %s\ncommitter Bulk Importer <bulk@example.com> %s\n", date, date)
		fmt.Fprintf(&b, "data %d\n%s", len(msg), msg)
		if i == 1 && from != "" {
			fmt.Fprintf(&b, "from %s\n", from)
		}
		if change {
			fmt.Fprintf(&b, "M 644 inline file%d.txt\ndata %d\n%s\n", i%7, len(content), content)
		}
	}
	marks := filepath.Join(r.t.TempDir(), "marks")
	r.GitInput(b.Bytes(), "fast-import", "--quiet", "--export-marks="+marks)
	data, err := os.ReadFile(marks)
	if err != nil {
		r.t.Fatal(err)
	}
	shas := make([]string, n)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var mark int
		var sha string
		if _, err := fmt.Sscanf(line, ":%d %s", &mark, &sha); err != nil || mark < 1 || mark > n {
			r.t.Fatalf("bad mark line %q", line)
		}
		shas[mark-1] = sha
	}
	if out, err := r.run("symbolic-ref", "HEAD"); err == nil && strings.TrimSpace(out) == "refs/heads/"+branch {
		r.Git("reset", "--quiet", "--hard", branch)
	}
	return shas
}

func (r *Repo) run(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = r.Dir, r.Env()
	out, err := cmd.Output()
	return string(out), err
}
