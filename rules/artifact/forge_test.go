package artifact

import "testing"

func TestForgeRepoAndPullRequest(t *testing.T) {
	for _, c := range []struct {
		url, subject, repo string
		pr                 int
		link               string
	}{
		{"https://github.com/vllm-project/vllm.git", "[Perf] Optimize the CPU overheads in FlashAttention custom op (#10733)", "vllm-project/vllm", 10733, "https://github.com/vllm-project/vllm/pull/10733"},
		{"https://github.com/vllm-project/vllm", "no number here", "vllm-project/vllm", 0, ""},
		{"git@github.com:sgl-project/sglang.git", "Speed up (#42)", "sgl-project/sglang", 42, "https://github.com/sgl-project/sglang/pull/42"},
		{"https://gitlab.com/group/proj", "Fix (#7)", "group/proj", 7, "https://gitlab.com/group/proj/-/merge_requests/7"},
		{"/srv/git/vllm", "Fix (#7)", "", 7, ""},
		{"vllm.bundle", "Fix (#7) in the middle (#8) ", "", 8, ""},
		{"https://git.example.org/a/b", "x (#1)", "", 1, ""},
		{"https://github.com/only-owner", "x", "", 0, ""},
		{"https://gitlab.com/group/sub/proj.git", "Fix (#9)", "group/sub/proj", 9, "https://gitlab.com/group/sub/proj/-/merge_requests/9"},
		{"git@gitlab.com:group/sub/proj.git", "x", "group/sub/proj", 0, ""},
		{"https://github.com/a/b/c", "x (#1)", "", 1, ""},
		{"https://www.GitHub.com/a/b", "x (#1)", "a/b", 1, "https://github.com/a/b/pull/1"},
		{"https://git.sr.ht/~user/proj", "x (#1)", "~user/proj", 1, ""},
		{"git@example.org:a/b.git", "x (#1)", "", 1, ""},
	} {
		f := &CommitFacts{RepoURL: c.url, Subject: c.subject}
		repo, _ := f.ForgeRepo()
		pr, link := f.PullRequest()
		if repo != c.repo || pr != c.pr || link != c.link {
			t.Errorf("%s %q: repo %q, PR %d %q; want %q, %d %q", c.url, c.subject, repo, pr, link, c.repo, c.pr, c.link)
		}
	}
}
