package dataset

import (
	"testing"

	"github.com/isobench/isobench/rules/artifact"
)

// TestInstanceID: SWE-bench's owner__name-<short head> for a forge repository, every slash of
// a GitLab group path folded the same way, and the base name for a path or bundle.
func TestInstanceID(t *testing.T) {
	head := "98f47f2a4032f8c395268de80858c64ffcfc60fa"
	for repo, want := range map[string]string{
		"https://github.com/vllm-project/vllm.git": "vllm-project__vllm-98f47f2",
		"git@gitlab.com:group/sub/proj.git":        "group__sub__proj-98f47f2",
		"../repo/tinystats.bundle":                 "tinystats-98f47f2",
		"/srv/git/vllm/":                           "vllm-98f47f2",
		"https://git.internal.example/x/y.git":     "y-98f47f2",
	} {
		if got := instanceID(&artifact.CommitFacts{RepoURL: repo, Head: head}); got == nil || *got != want {
			t.Errorf("instanceID(%q) = %v, want %q", repo, got, want)
		}
	}
}
