package environment

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The wheel preflight chooses among the files of an index the way pip and uv would, so it
// needs Python's version rules (PEP 440): ordering, pre-releases, local versions and the
// specifier operators. This file implements what choosing a wheel needs, no more.

// pyVersion is a parsed PEP 440 version.
type pyVersion struct {
	epoch   int
	release []int
	pre     []int // nil, or {phase (0 a, 1 b, 2 rc), number}
	post    int   // -1 when absent
	dev     int   // -1 when absent
	local   []string
}

// versionPattern is PEP 440's permissive form (the one packaging accepts), matched
// case-insensitively against the trimmed text.
var versionPattern = regexp.MustCompile(`(?i)^v?` +
	`(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`)

func parseVersion(s string) (pyVersion, error) {
	m := versionPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return pyVersion{}, fmt.Errorf("%q is not a valid Python version (PEP 440)", s)
	}
	g := func(name string) string { return m[versionPattern.SubexpIndex(name)] }
	num := func(s string) int {
		n, _ := strconv.Atoi(s)
		return n
	}
	v := pyVersion{epoch: num(g("epoch")), post: -1, dev: -1}
	for _, part := range strings.Split(g("release"), ".") {
		v.release = append(v.release, num(part))
	}
	if l := strings.ToLower(g("pre_l")); l != "" {
		phase := map[string]int{"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}[l]
		v.pre = []int{phase, num(g("pre_n"))}
	}
	switch {
	case g("post_n1") != "":
		v.post = num(g("post_n1"))
	case g("post_l") != "":
		v.post = num(g("post_n2"))
	}
	if g("dev_l") != "" {
		v.dev = num(g("dev_n"))
	}
	if l := g("local"); l != "" {
		v.local = strings.FieldsFunc(strings.ToLower(l), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	}
	return v, nil
}

// String is the normalized form: "1.0rc1", "0.10.1.dev12+g1234abc".
func (v pyVersion) String() string {
	var b strings.Builder
	if v.epoch != 0 {
		fmt.Fprintf(&b, "%d!", v.epoch)
	}
	b.WriteString(v.publicRelease())
	if v.local != nil {
		b.WriteString("+" + strings.Join(v.local, "."))
	}
	return b.String()
}

func (v pyVersion) publicRelease() string {
	parts := make([]string, len(v.release))
	for i, n := range v.release {
		parts[i] = strconv.Itoa(n)
	}
	s := strings.Join(parts, ".")
	if v.pre != nil {
		s += []string{"a", "b", "rc"}[v.pre[0]] + strconv.Itoa(v.pre[1])
	}
	if v.post >= 0 {
		s += ".post" + strconv.Itoa(v.post)
	}
	if v.dev >= 0 {
		s += ".dev" + strconv.Itoa(v.dev)
	}
	return s
}

// isPrerelease is true for alpha, beta, candidate and development releases.
func (v pyVersion) isPrerelease() bool { return v.pre != nil || v.dev >= 0 }

// public drops the local label ("+g1234abc").
func (v pyVersion) public() pyVersion { v.local = nil; return v }

// base is the epoch and release only.
func (v pyVersion) base() pyVersion {
	return pyVersion{epoch: v.epoch, release: v.release, post: -1, dev: -1}
}

// compare orders versions as PEP 440 does: a development release sorts before the
// pre-releases of its release, pre-releases before the release, post-releases after it, and
// a local version after the public version it extends.
func (v pyVersion) compare(w pyVersion) int {
	if c := cmpInt(v.epoch, w.epoch); c != 0 {
		return c
	}
	if c := slices.Compare(trimZeros(v.release), trimZeros(w.release)); c != 0 {
		return c
	}
	if c := slices.Compare(v.preKey(), w.preKey()); c != 0 {
		return c
	}
	if c := cmpInt(v.post, w.post); c != 0 {
		return c
	}
	if c := cmpInt(devKey(v.dev), devKey(w.dev)); c != 0 {
		return c
	}
	return compareLocal(v.local, w.local)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func trimZeros(r []int) []int {
	for len(r) > 0 && r[len(r)-1] == 0 {
		r = r[:len(r)-1]
	}
	return r
}

// preKey places "no pre-release" after every pre-release, except for a development release
// of the final version (1.0.dev1 < 1.0a1).
func (v pyVersion) preKey() []int {
	switch {
	case v.pre != nil:
		return v.pre
	case v.post < 0 && v.dev >= 0:
		return []int{-1}
	}
	return []int{3}
}

func devKey(dev int) int {
	if dev < 0 {
		return int(^uint(0) >> 1)
	}
	return dev
}

// compareLocal: no label sorts first; numeric segments sort after alphanumeric ones.
func compareLocal(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		na, errA := strconv.Atoi(a[i])
		nb, errB := strconv.Atoi(b[i])
		switch {
		case errA == nil && errB == nil:
			if c := cmpInt(na, nb); c != 0 {
				return c
			}
		case errA == nil:
			return 1
		case errB == nil:
			return -1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(a), len(b))
}

// specifier is one clause of a version specifier, such as ">=2.1" or "==0.5.*".
type specifier struct {
	op       string
	text     string // the version as written, for === and error messages
	version  pyVersion
	wildcard bool // "==1.2.*" or "!=1.2.*"
}

// specifierSet is a comma-separated list of clauses, all of which must hold.
type specifierSet []specifier

var specifierPattern = regexp.MustCompile(`^\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$`)

func parseSpecifiers(s string) (specifierSet, error) {
	var set specifierSet
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, clause := range strings.Split(s, ",") {
		m := specifierPattern.FindStringSubmatch(clause)
		if m == nil {
			return nil, fmt.Errorf("%q is not a version specifier such as \">=2.0\" or \"==1.4.*\"", strings.TrimSpace(clause))
		}
		sp := specifier{op: m[1], text: m[2]}
		if sp.op == "===" {
			set = append(set, sp)
			continue
		}
		text := m[2]
		if (sp.op == "==" || sp.op == "!=") && strings.HasSuffix(text, ".*") {
			sp.wildcard = true
			text = strings.TrimSuffix(text, ".*")
		}
		v, err := parseVersion(text)
		if err != nil {
			return nil, err
		}
		if sp.op == "~=" && len(v.release) < 2 {
			return nil, fmt.Errorf("%q needs at least two release numbers after ~=", strings.TrimSpace(clause))
		}
		sp.version = v
		set = append(set, sp)
	}
	return set, nil
}

func (s specifierSet) String() string {
	parts := make([]string, len(s))
	for i, sp := range s {
		parts[i] = sp.op + sp.text
	}
	return strings.Join(parts, ",")
}

// allowsPrereleases is true when a clause names a pre-release itself ("==2.0rc1", ">=1.0.dev0"):
// then pre-releases are candidates like any other version, as in pip.
func (s specifierSet) allowsPrereleases() bool {
	for _, sp := range s {
		switch sp.op {
		case "==", ">=", "<=", "~=", "===":
			if sp.version.isPrerelease() {
				return true
			}
		}
	}
	return false
}

// contains reports whether v satisfies every clause, pre-releases included.
func (s specifierSet) contains(v pyVersion) bool {
	for _, sp := range s {
		if !sp.contains(v) {
			return false
		}
	}
	return true
}

func (sp specifier) contains(v pyVersion) bool {
	spec := sp.version
	switch sp.op {
	case "===":
		return strings.EqualFold(v.String(), sp.text)
	case "==", "!=":
		var eq bool
		switch {
		case sp.wildcard:
			eq = prefixMatch(v.public(), spec)
		case spec.local == nil:
			eq = v.public().compare(spec) == 0
		default:
			eq = v.compare(spec) == 0
		}
		return eq == (sp.op == "==")
	case "~=":
		prefix := spec.base()
		prefix.release = prefix.release[:len(prefix.release)-1]
		return v.public().compare(spec) >= 0 && prefixMatch(v.public(), prefix)
	case "<=":
		return v.public().compare(spec) <= 0
	case ">=":
		return v.public().compare(spec) >= 0
	case "<":
		// "<3.0" excludes 3.0's own pre-releases unless it is one itself.
		if v.public().compare(spec) >= 0 {
			return false
		}
		return spec.isPrerelease() || !v.isPrerelease() || v.base().compare(spec.base()) != 0
	case ">":
		// ">3.0" excludes 3.0's post-releases and local versions unless it is a post-release.
		if v.public().compare(spec) <= 0 {
			return false
		}
		if spec.post < 0 && v.post >= 0 && v.base().compare(spec.base()) == 0 {
			return false
		}
		return v.local == nil || v.base().compare(spec.base()) != 0
	}
	return false
}

// prefixMatch is the "==1.2.*" rule: v's release begins with prefix's release (padded with
// zeros), in the same epoch.
func prefixMatch(v, prefix pyVersion) bool {
	if v.epoch != prefix.epoch {
		return false
	}
	for i, n := range prefix.release {
		got := 0
		if i < len(v.release) {
			got = v.release[i]
		}
		if got != n {
			return false
		}
	}
	if prefix.pre != nil || prefix.post >= 0 || prefix.dev >= 0 {
		// "==1.0rc1.*" is unusual; compare the whole public version then.
		return v.base().compare(prefix.base()) == 0 && slices.Equal(v.pre, prefix.pre) && v.post == prefix.post && v.dev == prefix.dev
	}
	return true
}
