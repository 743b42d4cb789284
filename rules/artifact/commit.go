package artifact

import (
	"github.com/isobench/isobench/engine"
	"github.com/zclconf/go-cty/cty"
)

// Output names used by the commit rule.
const CommitOutput = "facts"

// CommitFacts is what the commit action learns from Git. It holds nothing machine-specific
// (no paths), so the same commit gives the same digest on every machine.
type CommitFacts struct {
	Repo        string       `json:"repo"`     // label of the repo target
	RepoURL     string       `json:"repo_url"` // as declared (URL, path or bundle)
	Head        string       `json:"head"`     // full SHA
	Base        string       `json:"base"`     // full SHA
	HeadTree    string       `json:"head_tree"`
	BaseTree    string       `json:"base_tree"`
	Short       string       `json:"short"` // short SHA of head
	Subject     string       `json:"subject"`
	Message     string       `json:"message"`
	Author      string       `json:"author"`
	AuthorEmail string       `json:"author_email"`
	Date        string       `json:"date"` // author date, RFC 3339
	Files       []FileChange `json:"files"`
	Diffstat    string       `json:"diffstat"`
	Diff        string       `json:"diff"`
	// HeadRef and BaseRef are what the user wrote, when it was not a full SHA.
	HeadRef string `json:"head_ref,omitempty"`
	BaseRef string `json:"base_ref,omitempty"`
}

// FileChange is one file touched by the commit.
type FileChange struct {
	Path    string `json:"path"`
	OldPath string `json:"old_path,omitempty"` // for renames
	Change  string `json:"change"`             // added, modified, deleted, renamed, copied, type_changed
	Added   int    `json:"added"`
	Removed int    `json:"removed"`
}

// Side names the commit an environment or run is for.
type Side string

const (
	Base Side = "base"
	Head Side = "head"
)

// SHA returns the full SHA of the side.
func (f *CommitFacts) SHA(side Side) string {
	if side == Base {
		return f.Base
	}
	return f.Head
}

// Vars is the scope of late expressions: the `commit` object. `sha` and `short` are those of
// the side being evaluated (head for generators), so `https://wheels.vllm.ai/${commit.sha}`
// names the right index for each side of an environment.
func (f *CommitFacts) Vars(side Side) map[string]cty.Value {
	sha := f.SHA(side)
	short := sha
	if len(short) > 12 {
		short = short[:12]
	}
	files := make([]string, len(f.Files))
	for i, c := range f.Files {
		files[i] = c.Path
	}
	return map[string]cty.Value{"commit": engine.ToCty(map[string]any{
		"sha":      sha,
		"short":    short,
		"side":     string(side),
		"head":     f.Head,
		"base":     f.Base,
		"subject":  f.Subject,
		"message":  f.Message,
		"author":   f.Author,
		"date":     f.Date,
		"files":    files,
		"diffstat": f.Diffstat,
		"diff":     f.Diff,
		"repo":     f.RepoURL,
	})}
}
