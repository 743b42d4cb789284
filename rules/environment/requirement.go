package environment

import (
	"fmt"
	"regexp"
	"strings"
)

// requirement is one entry of `packages`, as pip reads it (PEP 508): a name with optional
// extras and version specifiers ("vllm", "numpy<2", "vllm[audio]==0.6.3"), a direct reference
// ("vllm @ https://.../vllm-0.6.3-...whl"), or a bare URL or path. Only the first form is
// resolved by the preflight; the others are handed to the installer as written.
type requirement struct {
	Raw    string
	Name   string // normalized (PEP 503): lower case, runs of "-_." as one "-"; "" for a bare URL or path
	Extras []string
	Spec   specifierSet
	URL    string // after "@"
	Marker string // after ";", e.g. python_version < "3.12"
}

var (
	namePattern     = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*`)
	directReference = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*@(.*)$`)
	normalizer      = regexp.MustCompile(`[-_.]+`)
)

// normalizeName is PEP 503's normalization, which is also the path of a project's page on a
// simple index.
func normalizeName(name string) string {
	return strings.ToLower(normalizer.ReplaceAllString(name, "-"))
}

func parseRequirement(raw string) (requirement, error) {
	r := requirement{Raw: strings.TrimSpace(raw)}
	s := r.Raw
	if s == "" {
		return r, fmt.Errorf("an empty string is not a requirement")
	}
	if strings.HasPrefix(s, "-") {
		return r, fmt.Errorf("%q is an installer option, not a requirement; packages lists requirements such as \"numpy<2\" only", s)
	}
	if m := directReference.FindStringSubmatch(s); m != nil {
		r.Name = normalizeName(m[1])
		r.Extras = parseExtras(m[2])
		r.URL = strings.TrimSpace(m[3])
		// PEP 508: a marker after a URL is set apart by whitespace, as ";" may occur in URLs.
		if i := strings.Index(r.URL, " ;"); i >= 0 {
			r.Marker = strings.TrimSpace(r.URL[i+2:])
			r.URL = strings.TrimSpace(r.URL[:i])
		}
		if r.URL == "" {
			return r, fmt.Errorf("%q has an @ with no URL after it", r.Raw)
		}
		return r, nil
	}
	if looksLikeLocation(s) {
		return r, nil
	}
	if i := strings.Index(s, ";"); i >= 0 {
		r.Marker = strings.TrimSpace(s[i+1:])
		s = strings.TrimSpace(s[:i])
	}
	m := namePattern.FindStringSubmatch(s)
	if m == nil {
		return r, fmt.Errorf("%q does not start with a package name", r.Raw)
	}
	r.Name = normalizeName(m[1])
	s = s[len(m[0]):]
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return r, fmt.Errorf("%q opens a list of extras with [ but never closes it", r.Raw)
		}
		r.Extras = parseExtras(s[1:end])
		s = strings.TrimSpace(s[end+1:])
	}
	if strings.HasPrefix(s, "@") {
		return r, fmt.Errorf("%q has an @ with no URL after it", r.Raw)
	}
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, "("), ")"))
	spec, err := parseSpecifiers(s)
	if err != nil {
		return r, fmt.Errorf("in %q: %w", r.Raw, err)
	}
	r.Spec = spec
	return r, nil
}

// looksLikeLocation recognizes what pip takes as a file, directory or URL rather than a name.
func looksLikeLocation(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") ||
		strings.HasPrefix(s, "~") || strings.HasSuffix(s, ".whl") || strings.HasSuffix(s, ".tar.gz") || strings.HasSuffix(s, ".zip")
}

// resolvable says whether the preflight looks this requirement up on an index. A marker
// depends on the interpreter in ways the preflight does not evaluate, and a direct reference
// names its file already.
func (r requirement) resolvable() bool { return r.Name != "" && r.URL == "" && r.Marker == "" }

// pinned is the requirement written against an exact file, which is how a resolved package is
// installed: the installer cannot pick another file, and checks the digest in the fragment.
func (r requirement) pinned(url, sha256 string) string {
	s := r.Name
	if len(r.Extras) > 0 {
		s += "[" + strings.Join(r.Extras, ",") + "]"
	}
	s += " @ " + url
	if sha256 != "" {
		s += "#sha256=" + sha256
	}
	return s
}

func parseExtras(s string) []string {
	var extras []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			extras = append(extras, normalizeName(e))
		}
	}
	return extras
}
