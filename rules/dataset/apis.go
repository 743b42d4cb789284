package dataset

import (
	"regexp"
	"sort"
	"strings"
)

// AffectedAPIs derives the Python functions and classes a commit touches from its unified
// diff, as dotted names qualified by module: "vllm.v1.sample.sampler.Sampler.forward".
//
// It is a heuristic on the diff text alone (no checkout, no parser), in the spirit of the
// upstream `affected_apis` column:
//
//   - Only .py and .pyi files count; the module is the path without its suffix, slashes as
//     dots, and a trailing ".__init__" dropped (vllm/config/__init__.py is vllm.config).
//   - Within a hunk, `def` and `class` lines (context, added or removed) open scopes by
//     indentation; a line at the same or a smaller indentation closes them. The hunk header's
//     text (git's function context, e.g. "@@ -10,7 +10,8 @@ class Sampler:") opens the first
//     scope, so a change deep inside a method still finds it.
//   - A changed `def`/`class` line names that definition; any other changed line names the
//     innermost scope open around it. Changes at module level (imports, constants) name
//     nothing.
//   - A scope whose parents are outside the hunk is named without them: git's header shows
//     one enclosing line, so a method whose class starts before the hunk and whose header
//     shows the method itself comes out as "module.method".
//   - Blank lines and comments are ignored, changed or not. A line indented less than the
//     code around it because it continues a bracket or a string closes scopes too early;
//     such a mistake names a neighbouring definition or nothing, never an invented one.
//
// The result is sorted and has no duplicates; it is empty (not nil) when nothing matched.
func AffectedAPIs(diff string) []string {
	seen := map[string]bool{}
	var module string // "" while the current file is not Python
	var scopes []scope
	inHunk := false
	for _, line := range strings.Split(diff, "\n") {
		switch {
		case strings.HasPrefix(line, "diff --git "):
			module, scopes, inHunk = "", nil, false
			if _, b, ok := strings.Cut(line, " b/"); ok {
				module = moduleOf(b)
			}
			continue
		case strings.HasPrefix(line, "+++ ") && !inHunk:
			if p := strings.TrimPrefix(line, "+++ "); p != "/dev/null" {
				module = moduleOf(strings.TrimPrefix(p, "b/"))
			}
			continue
		case strings.HasPrefix(line, "--- ") && !inHunk:
			if p := strings.TrimPrefix(line, "--- "); p != "/dev/null" && module == "" {
				module = moduleOf(strings.TrimPrefix(p, "a/"))
			}
			continue
		case strings.HasPrefix(line, "@@"):
			inHunk = true
			scopes = nil
			if i := strings.Index(line[2:], "@@"); i >= 0 {
				if header := line[2+i+2:]; strings.TrimSpace(header) != "" {
					scopes = enter(scopes, strings.TrimPrefix(header, " "))
				}
			}
			continue
		}
		if module == "" || !inHunk || line == "" {
			continue
		}
		mark, text := line[0], line[1:]
		if mark != ' ' && mark != '+' && mark != '-' {
			continue // "\ No newline at end of file"
		}
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		scopes = enter(scopes, text)
		if mark != ' ' && len(scopes) > 0 {
			seen[qualify(module, scopes)] = true
		}
	}
	apis := make([]string, 0, len(seen))
	for name := range seen {
		apis = append(apis, name)
	}
	sort.Strings(apis)
	return apis
}

// scope is one open def or class.
type scope struct {
	indent int
	name   string
}

var defRE = regexp.MustCompile(`^(?:async\s+)?(?:def|class)\s+([A-Za-z_][A-Za-z0-9_]*)`)

// enter updates the open scopes for one line of code: scopes at the line's indentation or
// deeper are closed, and a def or class line opens its own.
func enter(scopes []scope, text string) []scope {
	indent := indentOf(text)
	for len(scopes) > 0 && scopes[len(scopes)-1].indent >= indent {
		scopes = scopes[:len(scopes)-1]
	}
	if m := defRE.FindStringSubmatch(strings.TrimSpace(text)); m != nil {
		scopes = append(scopes, scope{indent: indent, name: m[1]})
	}
	return scopes
}

func qualify(module string, scopes []scope) string {
	parts := []string{module}
	for _, s := range scopes {
		parts = append(parts, s.name)
	}
	return strings.Join(parts, ".")
}

// indentOf counts leading whitespace, a tab as 8 columns as Python does.
func indentOf(s string) int {
	n := 0
	for _, r := range s {
		switch r {
		case ' ':
			n++
		case '\t':
			n = n/8*8 + 8
		default:
			return n
		}
	}
	return n
}

// moduleOf turns a Python file path into its module name, "" for other files.
func moduleOf(path string) string {
	var base string
	switch {
	case strings.HasSuffix(path, ".py"):
		base = strings.TrimSuffix(path, ".py")
	case strings.HasSuffix(path, ".pyi"):
		base = strings.TrimSuffix(path, ".pyi")
	default:
		return ""
	}
	base = strings.TrimSuffix(strings.TrimSuffix(base, "/__init__"), "__init__")
	if base == "" {
		return ""
	}
	return strings.ReplaceAll(base, "/", ".")
}
