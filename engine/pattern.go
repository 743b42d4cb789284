package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// A Pattern selects targets, as on the command line:
//
//	//pkg:name   one target
//	//pkg:all    every target in pkg
//	//pkg/...    every target in pkg and in every package below it
//	//...        every target in the workspace
//	//pkg:name.* every target a for_each block named name made (name.a, name.b, ...)
//	-//pkg:x     any of the above with a leading "-" excludes what it matches
//
// At most one of Name, All and Recursive is set; Family qualifies Name.
type Pattern struct {
	Pkg       string // the package named, "" for the root
	Name      string // the target, when the pattern names one
	Family    bool   // every target named Name.<key>: //pkg:name.*
	Recursive bool   // every target in Pkg and below: //pkg/...
	All       bool   // every target in Pkg: //pkg:all
	Exclude   bool   // subtract the matches instead of adding them: -//pkg:x
}

// ParsePattern parses a target pattern written in package pkg (the current
// package on the command line, "" at the workspace root), where ":name" and
// ":all" name targets of pkg. As in Bazel, "//pkg/...:all" is the same as
// "//pkg/...", and "//pkg" is "//pkg:pkg".
func ParsePattern(s, pkg string) (Pattern, error) {
	var p Pattern
	rest := s
	if strings.HasPrefix(rest, "-") {
		p.Exclude = true
		rest = rest[1:]
	}
	switch {
	case rest == "":
		return Pattern{}, fmt.Errorf("pattern %q is empty; write one as //pkg:name, //pkg:all or //pkg/...", s)
	case strings.HasPrefix(rest, "//"):
		return parseAbsolutePattern(s, rest, p)
	case strings.HasPrefix(rest, ":"):
		if err := CheckPackage(pkg); err != nil {
			return Pattern{}, fmt.Errorf("pattern %q cannot be resolved in package %q: %v", s, pkg, err)
		}
		p.Pkg = pkg
		return withTarget(s, p, rest[1:])
	default:
		return Pattern{}, fmt.Errorf(`pattern %q must start with "//" (or ":" for a target in the current package, after a "-" to exclude)`, s)
	}
}

// parseAbsolutePattern parses rest, which is s without its leading "-" and
// starts with "//".
func parseAbsolutePattern(s, rest string, p Pattern) (Pattern, error) {
	pkg, name, explicit, err := cutLabel(rest)
	if err != nil {
		return Pattern{}, fmt.Errorf("pattern %q is invalid: %w", s, err)
	}
	if pkg == "..." || strings.HasSuffix(pkg, "/...") {
		if explicit && name != allTargets {
			return Pattern{}, fmt.Errorf(`pattern %q cannot name a target below "...": write //%s for every target there, or //pkg:%s for one target`, s, pkg, name)
		}
		p.Recursive = true
		if pkg == "..." {
			return p, nil // p.Pkg is the root
		}
		p.Pkg = strings.TrimSuffix(pkg, "/...")
		if p.Pkg == "" {
			return Pattern{}, fmt.Errorf(`pattern %q is invalid: its package path starts with "/"; write //... for every package`, s)
		}
		if err := CheckPackage(p.Pkg); err != nil {
			return Pattern{}, fmt.Errorf("pattern %q is invalid: %w", s, err)
		}
		return p, nil
	}
	if err := CheckPackage(pkg); err != nil {
		return Pattern{}, fmt.Errorf("pattern %q is invalid: %w", s, err)
	}
	p.Pkg = pkg
	return withTarget(s, p, name)
}

// withTarget completes p, whose package is set, with the target part of s.
func withTarget(s string, p Pattern, name string) (Pattern, error) {
	if name == allTargets {
		p.All = true
		return p, nil
	}
	if base, ok := strings.CutSuffix(name, ".*"); ok {
		name, p.Family = base, true
	}
	if err := CheckName(name); err != nil {
		return Pattern{}, fmt.Errorf("pattern %q is invalid: %w", s, err)
	}
	p.Name = name
	return p, nil
}

// String returns the pattern in its canonical form, which parses back to p.
func (p Pattern) String() string {
	var s string
	switch {
	case p.Recursive && p.Pkg == "":
		s = "//..."
	case p.Recursive:
		s = "//" + p.Pkg + "/..."
	case p.All:
		s = "//" + p.Pkg + ":" + allTargets
	case p.Family:
		s = Label{Pkg: p.Pkg, Name: p.Name}.String() + ".*"
	default:
		s = Label{Pkg: p.Pkg, Name: p.Name}.String()
	}
	if p.Exclude {
		return "-" + s
	}
	return s
}

// Target returns the label of the one target p names, and false when p
// selects by package (:all or /...). A caller uses it to report an included
// target that does not exist, with a suggestion.
func (p Pattern) Target() (Label, bool) {
	if p.Recursive || p.All || p.Family {
		return Label{}, false
	}
	return Label{Pkg: p.Pkg, Name: p.Name}, true
}

// Match reports whether p selects l, ignoring p.Exclude. A recursive pattern
// matches whole path segments: //a/... matches //a:x and //a/b:y, not //ab:z.
func (p Pattern) Match(l Label) bool {
	switch {
	case p.Recursive:
		return p.Pkg == "" || l.Pkg == p.Pkg || strings.HasPrefix(l.Pkg, p.Pkg+"/")
	case p.All:
		return l.Pkg == p.Pkg
	case p.Family:
		return l.Pkg == p.Pkg && strings.HasPrefix(l.Name, p.Name+".")
	default:
		return l.Pkg == p.Pkg && l.Name == p.Name
	}
}

// Select applies patterns in order to labels, as Bazel does: an include adds
// the labels it matches, an exclude removes them, so "//... -//a/... //a:x"
// selects everything outside a and below, plus //a:x. It returns the
// selected labels once each, sorted by String, and the patterns, include or
// exclude, that match none of labels: a typo, most likely, which the caller
// reports as it sees fit.
func Select(patterns []Pattern, labels []Label) (matched []Label, empty []Pattern) {
	selected := make(map[Label]bool)
	for _, p := range patterns {
		hit := false
		for _, l := range labels {
			if !p.Match(l) {
				continue
			}
			hit = true
			if p.Exclude {
				delete(selected, l)
			} else {
				selected[l] = true
			}
		}
		if !hit {
			empty = append(empty, p)
		}
	}
	for l := range selected {
		matched = append(matched, l)
	}
	sortLabels(matched)
	return matched, empty
}

// NoMatch explains an included pattern that selects none of labels, with what was meant when
// it can tell: the targets of a for_each block for its base name ("//benchmarks:gen" ->
// "//benchmarks:gen.*"), the nearest label for a misspelt target, the nearest package for a
// misspelt package ("//datasets:all" -> "//dataset:all").
func NoMatch(p Pattern, labels []Label) error {
	pkgs := map[string]bool{}
	var family []string
	for _, l := range labels {
		pkgs[l.Pkg] = true
		if !p.Family && l.Pkg == p.Pkg && strings.HasPrefix(l.Name, p.Name+".") {
			family = append(family, l.String())
		}
	}
	if len(family) > 0 {
		slices.Sort(family)
		few := family[:min(len(family), 3)]
		if len(family) > len(few) {
			few = append(few, fmt.Sprintf("and %d more", len(family)-len(few)))
		}
		fam := p
		fam.Family, fam.Exclude = true, false
		return fmt.Errorf("no target %s is declared: it is a for_each block, whose %d targets are %s (%s)",
			Label{Pkg: p.Pkg, Name: p.Name}, len(family), fam, strings.Join(few, ", "))
	}
	what := fmt.Sprintf("the pattern %s matches no targets", p)
	if t, ok := p.Target(); ok {
		what = fmt.Sprintf("no target %s is declared", t)
	}
	if !pkgs[p.Pkg] && !(p.Recursive && p.Pkg == "") {
		if s := Suggest(p.Pkg, slices.Collect(maps.Keys(pkgs))); s != "" {
			fixed := p
			fixed.Pkg, fixed.Exclude = s, false
			return fmt.Errorf("%s: there is no package //%s; did you mean %s?", what, p.Pkg, fixed)
		}
		return fmt.Errorf("%s: there is no package //%s (a package is a directory with a BUILD.hcl)", what, p.Pkg)
	}
	if t, ok := p.Target(); ok {
		names := make([]string, len(labels))
		for i, l := range labels {
			names[i] = l.String()
		}
		if s := Suggest(t.String(), names); s != "" {
			return fmt.Errorf("%s; did you mean %s?", what, s)
		}
	}
	return fmt.Errorf("%s", what)
}
