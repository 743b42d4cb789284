package artifact

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// What a dataset's records say about a commit's origin, derived from the facts: the
// repository as owner/name when it was declared by a forge URL, and the pull request a
// squash merge names. Researchers join records with other datasets (SWE-bench, GSO,
// SWE-Perf, the ISO-Bench data) on these, so they follow those datasets' forms.

// Forges whose URLs read host/owner/name (GitLab: host/group/.../name). A self-hosted GitLab
// or Gitea is not recognized: its records keep the URL as declared.
var forges = map[string]string{"github.com": "github", "gitlab.com": "gitlab", "bitbucket.org": "bitbucket",
	"codeberg.org": "gitea", "git.sr.ht": "sourcehut"}

// scpLike matches git@github.com:owner/name(.git), which is host and path without a scheme.
var scpLike = regexp.MustCompile(`^[A-Za-z0-9_.-]+@([A-Za-z0-9.-]+):([^/].*)$`)

// Forge is a repository on a known forge: its host and its path there, "owner/name".
type Forge struct{ Host, Repo string }

// ParseForge reads a repository URL as declared (https://github.com/vllm-project/vllm.git,
// git@github.com:vllm-project/vllm.git); ok is false for a local path, a bundle or another
// host. The dataset's repo field, its instance IDs and the report's links all come from here,
// so they agree on what is a forge.
func ParseForge(raw string) (f Forge, ok bool) {
	raw = strings.TrimSpace(raw)
	var host, repoPath string
	if m := scpLike.FindStringSubmatch(raw); m != nil {
		host, repoPath = m[1], m[2]
	} else {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "ssh" && u.Scheme != "git") {
			return Forge{}, false
		}
		host, repoPath = u.Hostname(), u.Path
	}
	host = strings.ToLower(strings.TrimPrefix(host, "www."))
	kind, known := forges[host]
	if !known {
		return Forge{}, false
	}
	parts := strings.Split(strings.TrimSuffix(strings.Trim(repoPath, "/"), ".git"), "/")
	if len(parts) < 2 || (len(parts) > 2 && kind != "gitlab") || slices.Contains(parts, "") {
		return Forge{}, false
	}
	return Forge{Host: host, Repo: strings.Join(parts, "/")}, true
}

// CommitLink is the commit's page on the forge.
func (f Forge) CommitLink(sha string) string {
	base := "https://" + f.Host + "/" + f.Repo
	switch forges[f.Host] {
	case "gitlab":
		return base + "/-/commit/" + sha
	case "bitbucket":
		return base + "/commits/" + sha
	}
	return base + "/commit/" + sha
}

// PullLink is the page of pull request n, or "" on a forge without them (sourcehut takes
// patches by mail).
func (f Forge) PullLink(n int) string {
	base, num := "https://"+f.Host+"/"+f.Repo, strconv.Itoa(n)
	switch forges[f.Host] {
	case "github", "gitea":
		return base + "/pull/" + num
	case "gitlab":
		return base + "/-/merge_requests/" + num
	case "bitbucket":
		return base + "/pull-requests/" + num
	}
	return ""
}

// ForgeRepo returns the repository's path on its forge when it was declared by the URL of a
// known forge.
func (f *CommitFacts) ForgeRepo() (repo string, ok bool) {
	g, ok := ParseForge(f.RepoURL)
	return g.Repo, ok
}

// prSuffix is how a squash merge on GitHub names its pull request: "Subject (#12345)" at the
// end of the subject line. vLLM and SGLang merge every change this way.
var prSuffix = regexp.MustCompile(`\(#(\d+)\)\s*$`)

// PullRequest returns the number of the pull request the head commit's subject names, and
// its URL when the forge is known; 0 and "" when the subject names none.
func (f *CommitFacts) PullRequest() (number int, link string) {
	subject := f.Subject
	if subject == "" {
		subject, _, _ = strings.Cut(f.Message, "\n")
	}
	m := prSuffix.FindStringSubmatch(subject)
	if m == nil {
		return 0, ""
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return 0, ""
	}
	g, ok := ParseForge(f.RepoURL)
	if !ok {
		return n, ""
	}
	return n, g.PullLink(n)
}
