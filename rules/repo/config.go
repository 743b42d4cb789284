package repo

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
)

// Config is a repo target as its BUILD.hcl declares it.
type Config struct {
	URL string // as written: a URL git can fetch, a path to a checkout, or a bundle file
	Pkg string // the package of the declaring file, which a relative path is relative to
}

// decode reads a repo target. It refuses a url that cannot name a repository at all. Whether
// it exists is not checked here: a repository may be unreachable now and reachable at build
// time, and loading (for status, fmt, validate) must not touch the network.
//
// An empty url is refused here rather than by the schema's NonEmpty, because a url of only
// spaces is as empty, and the message says what to write instead.
func decode(t *engine.Target) (*Config, hcl.Diagnostics) {
	c := &Config{URL: t.String("url"), Pkg: t.Body.Pkg}
	url := c.URL
	var problem string
	switch {
	case strings.TrimSpace(url) == "":
		problem = "The url of a repo cannot be empty; write a URL, a path to a checkout, or a path to a bundle file."
	case strings.ContainsFunc(url, func(r rune) bool { return r < ' ' || r == 0x7f }):
		problem = fmt.Sprintf("The url %q contains a control character.", url)
	case strings.HasPrefix(url, "-"):
		problem = fmt.Sprintf("The url %q starts with a dash, which git would read as an option; write ./%s for a local path.", url, url)
	case url != strings.TrimSpace(url):
		problem = fmt.Sprintf("The url %q starts or ends with spaces.", url)
	}
	if problem == "" {
		return c, nil
	}
	return c, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid repository url", Detail: problem,
		Subject: t.AttrRange("url").Ptr()}}
}
