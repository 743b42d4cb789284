package commit

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/gitrepo"
)

// Config is a commit target as its BUILD.hcl declares it.
type Config struct {
	Repo engine.Label // the repo target the commit is taken from
	// Head and Base are as written: a full SHA, a prefix of one, or a ref. A prefix or a ref
	// is resolved per build, while the action is prepared. Base is "" for the first parent
	// of head.
	Head, Base string
	// Origin is where they were written, for messages about a revision the repository lacks.
	Origin Origin
}

// Origin is where a commit target's revisions were written (origin.go).
type Origin struct {
	HeadAt, BaseAt hcl.Range
	ForEachKey     string
	Pkg            string
}

// decode reads a commit target. It refuses revisions git could misread (a leading dash,
// whitespace) and a base equal to head when both are full SHAs.
func decode(t *engine.Target) (*Config, hcl.Diagnostics) {
	c := &Config{Repo: t.Body.Label("repo"), Head: t.String("head"), Base: t.String("base"),
		Origin: Origin{HeadAt: t.AttrRange("head"), BaseAt: t.AttrRange("base"), ForEachKey: t.ForEachKey, Pkg: t.Pkg}}
	var diags hcl.Diagnostics
	for _, name := range []string{"head", "base"} {
		if !t.Has(name) {
			continue
		}
		if msg := gitrepo.CheckRev(t.String(name)); msg != "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + name,
				Detail:  "The " + name + " must be a commit SHA, a prefix of one, or a ref such as \"main\" or \"v1.0\", but " + msg + ".",
				Subject: t.AttrRange(name).Ptr()})
		}
	}
	if gitrepo.IsFullSHA(c.Head) && gitrepo.IsFullSHA(c.Base) && equalFold(c.Head, c.Base) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Base is head",
			Detail:  "The base is the same commit as the head, so there is nothing to compare; leave base out to compare with the first parent.",
			Subject: t.AttrRange("base").Ptr()})
	}
	return c, diags
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i]|0x20 != b[i]|0x20 {
			return false
		}
	}
	return true
}
