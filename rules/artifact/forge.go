package artifact

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// What a dataset's records say about a commit's origin, derived from the facts: the
// repository as owner/name when it was declared by a forge URL, and the pull request a
// squash merge names. Researchers join records with other datasets (SWE-bench, GSO,
// SWE-Perf, the ISO-Bench data) on these, so they follow those datasets' forms.

// Forges whose URLs read host/owner/name. A self-hosted GitLab or Gitea is not recognized:
// its records keep the URL as declared.
var forges = map[string]string{"github.com": "github", "gitlab.com": "gitlab", "bitbucket.org": "bitbucket", "codeberg.org": "gitea"}

// scpLike matches git@github.com:owner/name(.git).
var scpLike = regexp.MustCompile(`^[A-Za-z0-9_.-]+@([A-Za-z0-9.-]+):([^/]+)/([^/]+?)(?:\.git)?/?$`)

// ForgeRepo returns "owner/name" and the forge's host when the repository was declared by
// the URL of a known forge (https://github.com/vllm-project/vllm.git,
// git@github.com:vllm-project/vllm.git); ok is false for a local path, a bundle or another
// host.
func (f *CommitFacts) ForgeRepo() (repo, host string, ok bool) {
	raw := strings.TrimSpace(f.RepoURL)
	if m := scpLike.FindStringSubmatch(raw); m != nil {
		if _, known := forges[strings.ToLower(m[1])]; known {
			return m[2] + "/" + m[3], strings.ToLower(m[1]), true
		}
		return "", "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "ssh" && u.Scheme != "git") {
		return "", "", false
	}
	host = strings.ToLower(strings.TrimPrefix(u.Hostname(), "www."))
	if _, known := forges[host]; !known {
		return "", "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0] + "/" + strings.TrimSuffix(parts[1], ".git"), host, true
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
	repo, host, ok := f.ForgeRepo()
	if !ok {
		return n, ""
	}
	switch forges[host] {
	case "github", "gitea":
		return n, "https://" + host + "/" + repo + "/pull/" + m[1]
	case "gitlab":
		return n, "https://" + host + "/" + repo + "/-/merge_requests/" + m[1]
	case "bitbucket":
		return n, "https://" + host + "/" + repo + "/pull-requests/" + m[1]
	}
	return n, ""
}
