package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/isobench/isobench/cache"
)

// SchemaVersion enters every key. Bump it when the meaning of stored results changes
// (their encoding, or what "ok" promises), so old entries are never misread.
const SchemaVersion = 1

// A Line is one "name value" line of an action's key description. Names say what the value is
// ("prompt", "head", "input.facts") so that `isobench why` can name the input that changed.
type Line struct {
	Name  string
	Value string
}

// L builds a line from any value printed with %v.
func L(name string, value any) Line { return Line{Name: name, Value: fmt.Sprint(value)} }

// LongLine keeps a long or multi-line value readable in the description: the value's
// SHA-256 and size stand in for it. The digest is what the key needs; the text itself is
// stored with the result where it matters (a rendered prompt, a diff).
func LongLine(name string, value []byte) Line {
	sum := sha256.Sum256(value)
	return Line{Name: name, Value: fmt.Sprintf("sha256:%s (%d bytes)", hex.EncodeToString(sum[:]), len(value))}
}

// MapLines appends one line per entry of m, sorted by key, as "prefix.key value".
func MapLines(prefix string, m map[string]string) []Line {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]Line, 0, len(m))
	for _, k := range keys {
		lines = append(lines, Line{Name: prefix + "." + k, Value: m[k]})
	}
	return lines
}

// Description is the canonical text of an action's key: a fixed header, then the rule's lines
// in the order given. Values are quoted only when they would break the line structure.
func Description(kind string, w *Work) string {
	var b strings.Builder
	fmt.Fprintf(&b, "isobench-schema %d\n", SchemaVersion)
	fmt.Fprintf(&b, "kind %s\n", kind)
	fmt.Fprintf(&b, "rule-version %d\n", w.RuleVersion)
	for _, l := range w.Lines {
		b.WriteString(l.Name)
		b.WriteByte(' ')
		b.WriteString(quoteIfNeeded(l.Value))
		b.WriteByte('\n')
	}
	return b.String()
}

func quoteIfNeeded(s string) string {
	if strings.ContainsAny(s, "\n\r\t") || strings.HasPrefix(s, "\"") || s != strings.TrimSpace(s) {
		return strconv.Quote(s)
	}
	return s
}

// KeyOf hashes a description into an action key.
func KeyOf(description string) cache.Digest { return cache.Sum([]byte(description)) }

// parseDescription splits a description back into lines, for `why`.
func parseDescription(desc string) []Line {
	var lines []Line
	for _, raw := range strings.Split(strings.TrimRight(desc, "\n"), "\n") {
		name, value, _ := strings.Cut(raw, " ")
		if uq, err := strconv.Unquote(value); err == nil && strings.HasPrefix(value, "\"") {
			value = uq
		}
		lines = append(lines, Line{Name: name, Value: value})
	}
	return lines
}

// LineChange is one difference between two descriptions.
type LineChange struct {
	Name     string
	Old, New string // "" when the line is absent on that side
}

// DiffDescriptions lists the lines whose values differ, in the new description's order,
// followed by lines that disappeared.
func DiffDescriptions(oldDesc, newDesc string) []LineChange {
	oldLines := map[string]string{}
	for _, l := range parseDescription(oldDesc) {
		oldLines[l.Name] = l.Value
	}
	var changes []LineChange
	seen := map[string]bool{}
	for _, l := range parseDescription(newDesc) {
		seen[l.Name] = true
		if o, ok := oldLines[l.Name]; !ok || o != l.Value {
			changes = append(changes, LineChange{Name: l.Name, Old: o, New: l.Value})
		}
	}
	for _, l := range parseDescription(oldDesc) {
		if !seen[l.Name] {
			changes = append(changes, LineChange{Name: l.Name, Old: l.Value})
		}
	}
	return changes
}
