package gitrepo

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// RepoOutput is the output name of a repo action: a Spec as JSON.
const RepoOutput = "repo"

// Spec is what a repo target declares, as its action hands it to commits. It holds the URL as
// written and the package it was written in, never an absolute path, so that its digest is the
// same on every machine; Location turns it into something git can reach on this one.
type Spec struct {
	URL string `json:"url"` // as declared: a URL, a local path or a bundle file
	Pkg string `json:"pkg"` // package of the repo target; local paths are relative to it
}

// Location is where git finds the repository on this machine: a URL unchanged, a local path
// (or bundle) made absolute against the package directory in the workspace root.
func (s Spec) Location(root string) string { return Locate(root, s.Pkg, s.URL) }

// Locate resolves a declared repository URL written in package pkg of the workspace at root.
func Locate(root, pkg, url string) string {
	if IsRemote(url) || filepath.IsAbs(url) {
		return url
	}
	return filepath.Join(root, filepath.FromSlash(pkg), filepath.FromSlash(url))
}

// ForFacts returns the mirror of the repository a commit's facts came from, for rules that
// check out a commit (environment source installs, benchmark commands): the facts name the
// repo target and its URL as declared, which is enough to find the mirror again.
func ForFacts(userCache, root string, f *artifact.CommitFacts) (*Mirror, error) {
	l, err := engine.ParseLabel(f.Repo)
	if err != nil {
		return nil, fmt.Errorf("the commit facts name the repository %q, which is not a label: %v", f.Repo, err)
	}
	m := NewMirror(userCache, Locate(root, l.Pkg, f.RepoURL))
	m.Display = f.RepoURL
	return m, nil
}

// IsRemote reports whether url is something git reaches through a transport rather than a
// path on this machine: scheme://... (https, ssh, git, file) or scp-like user@host:path. As in
// git, a colon counts as scp-like only when no slash comes before it ("./a:b" is a path).
func IsRemote(url string) bool {
	if strings.Contains(url, "://") {
		return true
	}
	colon := strings.IndexByte(url, ':')
	return colon > 0 && !strings.Contains(url[:colon], "/")
}

// IsLocal reports whether url names a path on this machine (a checkout, a bare repository or
// a bundle file), whose absence is a plain "does not exist" rather than a network error.
func IsLocal(url string) bool { return !IsRemote(url) }

// bundleSignatures open every Git bundle file; `git bundle verify` checks the same bytes
// first (bundle.c), and reading them needs no repository and no process.
var bundleSignatures = [][]byte{[]byte("# v2 git bundle\n"), []byte("# v3 git bundle\n")}

// IsBundle reports whether path is a Git bundle file: its name ends in .bundle, or it starts
// with a bundle signature. Bundles need no special handling to clone or fetch (git reads them
// as a transport), but the distinction names the source in messages.
func IsBundle(path string) bool {
	if IsRemote(path) {
		return false
	}
	if strings.HasSuffix(path, ".bundle") {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := f.Read(head)
	for _, sig := range bundleSignatures {
		if bytes.Equal(head[:n], sig) {
			return true
		}
	}
	return false
}

// IsFullSHA reports whether s is a complete object name: 40 hex digits (SHA-1) or 64
// (SHA-256 repositories). Such a name is its own key: no git process is needed to know it.
func IsFullSHA(s string) bool {
	return (len(s) == 40 || len(s) == 64) && IsHex(s)
}

// isPrefix reports whether s could be an abbreviated object name. Git abbreviates to no fewer
// than 4 digits (MINIMUM_ABBREV); a shorter hex string is only ever a ref.
func isPrefix(s string) bool {
	return len(s) >= 4 && len(s) < 64 && !IsFullSHA(s) && IsHex(s)
}

// IsHex reports whether s is a non-empty string of hexadecimal digits, as object names are.
func IsHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// CheckRev says what is wrong with a revision as written in a BUILD file, or "" when it is
// usable. Revisions reach git on a line of its standard input, and sometimes as an argument,
// so whitespace and a leading dash are refused.
func CheckRev(rev string) string {
	switch {
	case rev == "":
		return "it is empty"
	case strings.HasPrefix(rev, "-"):
		return "it starts with a dash, which git would read as an option"
	case strings.ContainsFunc(rev, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "it contains whitespace or a control character"
	}
	return ""
}

// Short abbreviates a SHA for messages.
func Short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
