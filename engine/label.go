package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A Label names one target: //pkg/path:name.
//
// Pkg is the slash path of the package directory relative to the workspace
// root, "" for the root package; Name is the target's name in that package.
// A Label is a comparable value: compare it with == and use it as a map key.
// ParseLabel accepts only valid labels; a Label built by hand is as valid as
// its fields, which CheckPackage and CheckName check.
type Label struct {
	Pkg  string
	Name string
}

// allTargets is the target name that, as in Bazel, selects every target of a
// package (//pkg:all). No target may take it, so //pkg:all never means two
// things.
const allTargets = "all"

// ParseLabel parses an absolute label: "//commits:flash", or "//:x" for a
// target of the root package. As in Bazel, "//commits" alone means
// "//commits:commits".
func ParseLabel(s string) (Label, error) {
	return parseLabel(s, "", false)
}

// ParseRelativeLabel parses a label written in package pkg: an absolute label,
// or ":name" for the target name in pkg itself.
func ParseRelativeLabel(s, pkg string) (Label, error) {
	return parseLabel(s, pkg, true)
}

func parseLabel(s, pkg string, relative bool) (Label, error) {
	switch {
	case s == "":
		return Label{}, errors.New("a label cannot be empty; write one as //pkg:name")
	case strings.HasPrefix(s, "//"):
		return parseAbsoluteLabel(s)
	case strings.HasPrefix(s, ":") && relative:
		if err := CheckPackage(pkg); err != nil {
			return Label{}, fmt.Errorf("label %q cannot be resolved in package %q: %v", s, pkg, err)
		}
		name := s[1:]
		if err := checkLabelName(name, pkg); err != nil {
			return Label{}, fmt.Errorf("label %q is invalid: %w", s, err)
		}
		return Label{Pkg: pkg, Name: name}, nil
	case strings.HasPrefix(s, ":"):
		return Label{}, fmt.Errorf("label %q is relative, but a full label is needed here; write its package too, as in %q", s, "//pkg"+s)
	case strings.HasPrefix(s, "-//"), strings.HasPrefix(s, "-:"):
		return Label{}, fmt.Errorf("%q is an exclude pattern, not a label", s)
	case relative:
		return Label{}, fmt.Errorf(`label %q must start with "//" (or ":" for a target in the same package)`, s)
	default:
		return Label{}, fmt.Errorf(`label %q must start with "//"`, s)
	}
}

// parseAbsoluteLabel parses s, which starts with "//".
func parseAbsoluteLabel(s string) (Label, error) {
	pkg, name, _, err := cutLabel(s)
	if err != nil {
		return Label{}, fmt.Errorf("label %q is invalid: %w", s, err)
	}
	if pkg == "..." || strings.HasSuffix(pkg, "/...") {
		return Label{}, fmt.Errorf(`%q is a pattern, not a label: "..." selects every target in a package and the packages below it`, s)
	}
	if err := CheckPackage(pkg); err != nil {
		return Label{}, fmt.Errorf("label %q is invalid: %w", s, err)
	}
	if err := checkLabelName(name, pkg); err != nil {
		return Label{}, fmt.Errorf("label %q is invalid: %w", s, err)
	}
	return Label{Pkg: pkg, Name: name}, nil
}

// cutLabel splits s, an absolute label or pattern, into its package path and
// target name. Without a colon, the name is the last segment of the package
// path. explicit reports whether s named the target after a colon. Neither
// part is checked here; an error completes the sentence "label s is invalid:".
func cutLabel(s string) (pkg, name string, explicit bool, err error) {
	pkg, name, explicit = strings.Cut(strings.TrimPrefix(s, "//"), ":")
	switch {
	case strings.Contains(name, ":"):
		return "", "", false, errors.New(`it has more than one ":"`)
	case explicit && name == "":
		return "", "", false, errors.New(`nothing follows ":"; write a target name there`)
	case !explicit && pkg == "":
		return "", "", false, errors.New(`it names no target; write "//:name" for a target of the root package`)
	case !explicit:
		name = pkg[strings.LastIndex(pkg, "/")+1:]
	}
	return pkg, name, explicit, nil
}

// checkLabelName is CheckName with the error that a label ending in ":all"
// deserves: the user wrote a pattern where a single target was expected.
func checkLabelName(name, pkg string) error {
	if name == allTargets {
		return fmt.Errorf(`":all" makes it a pattern, which selects every target in %s; a label must name one target`, describePackage(pkg))
	}
	return CheckName(name)
}

func describePackage(pkg string) string {
	if pkg == "" {
		return "the root package"
	}
	return fmt.Sprintf("package %q", pkg)
}

// String returns the label in full, as in "//commits:flash". The result
// parses back to l.
func (l Label) String() string {
	return "//" + l.Pkg + ":" + l.Name
}

// IsZero reports whether l is the zero Label, which names nothing.
func (l Label) IsZero() bool {
	return l == Label{}
}

// CheckPackage reports whether pkg is a valid package path: "" (the root
// package), or segments separated by "/" that use only ASCII letters, digits,
// "_", "-" and ".". A segment cannot be empty, "." or "..", since a package
// path names a directory below the workspace root, nor "...", which patterns
// use.
func CheckPackage(pkg string) error {
	if pkg == "" {
		return nil
	}
	for seg := range strings.SplitSeq(pkg, "/") {
		switch seg {
		case "":
			return fmt.Errorf("package path %q has an empty segment", pkg)
		case ".", "..":
			return fmt.Errorf("package path %q has the segment %q; a package path leads from the workspace root down, without \".\" or \"..\"", pkg, seg)
		case "...":
			return fmt.Errorf(`package path %q has the segment "..."; only a pattern may use it, and only at its end, as in //pkg/...`, pkg)
		}
		if i := strings.IndexFunc(seg, func(r rune) bool { return !isPackageRune(r) }); i >= 0 {
			return fmt.Errorf(`package path %q contains %s; package path segments may use only letters, digits, "_", "-" and "."`, pkg, describeRuneAt(seg, i))
		}
	}
	return nil
}

// CheckName reports whether name is a valid target name: ASCII letters,
// digits and _ - . + = @ ~, and not "all", which patterns use. Nor can it be
// "." or "..": a target's outputs go to a directory of its name.
func CheckName(name string) error {
	switch name {
	case "":
		return errors.New("a target name cannot be empty")
	case allTargets:
		return fmt.Errorf(`the target name %q is reserved: //pkg:all selects every target in a package`, name)
	case ".", "..":
		return fmt.Errorf(`the target name %q is not allowed, since a target's outputs go to a directory of its name`, name)
	case "...":
		return errors.New(`"..." is not a target name; write //pkg/... to select a package and everything below it`)
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return !isNameRune(r) }); i >= 0 {
		return fmt.Errorf(`target name %q contains %s; target names may use only letters, digits and "_", "-", ".", "+", "=", "@", "~"`, name, describeRuneAt(name, i))
	}
	return nil
}

// Labels and target names are ASCII only: they become directory names, shell
// arguments and cache-key lines, where a letter that has two Unicode spellings
// (composed and decomposed) would name one target twice.
func isPackageRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-' || r == '.'
}

func isNameRune(r rune) bool {
	return isPackageRune(r) || strings.ContainsRune("+=@~", r)
}

// describeRuneAt names the character at byte offset i of s for an error
// message, showing an invalid UTF-8 byte as a byte rather than as U+FFFD.
func describeRuneAt(s string, i int) string {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("the byte 0x%02x", s[i])
	}
	return fmt.Sprintf("%q", string(r))
}

// maxSafeName bounds the part of a SafeName kept from the key. A target name
// becomes a directory name under isobench-out, and most file systems refuse a
// name longer than 255 bytes; 128 leaves room for the hash suffix and for
// file extensions.
const maxSafeName = 128

// SafeName turns a for_each key into a stable, shell-safe target name. It
// keeps ASCII letters, digits, "_", "." and "-" and maps every other
// character to "_". If that changed anything, or if the result is not a valid
// target name on its own ("", "all", "." or ".."), it appends "-" and the first
// 8 hex digits of the SHA-256 of the key, so that keys which differ only in
// the characters replaced ("a b", "a/b" and "a_b") still get distinct names.
// A key that is already safe comes back unchanged.
//
// Distinct keys can only share a name by sharing the 32-bit hash prefix as
// well, or by a safe key that spells out another key's name with its suffix.
// The loader reports either as two targets of the same name.
func SafeName(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	changed := false
	for _, r := range key {
		if isPackageRune(r) { // safe as a directory name and as a shell word
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
			changed = true
		}
	}
	name := b.String()
	if len(name) > maxSafeName {
		name = name[:maxSafeName] // ASCII only, so this cuts no character in two
		changed = true
	}
	if !changed && CheckName(name) == nil {
		return name
	}
	sum := sha256.Sum256([]byte(key))
	return name + "-" + hex.EncodeToString(sum[:4])
}
