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
// in the order given. Names and values are quoted only when they would break the line
// structure, so ordinary descriptions read as plain "name value" lines.
func Description(kind string, w *Work) string {
	var b strings.Builder
	fmt.Fprintf(&b, "isobench-schema %d\n", SchemaVersion)
	fmt.Fprintf(&b, "kind %s\n", kind)
	fmt.Fprintf(&b, "rule-version %d\n", w.RuleVersion)
	for _, l := range w.Lines {
		b.WriteString(quoteNameIfNeeded(l.Name))
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

// quoteNameIfNeeded quotes a name that is empty, holds a space or a line break, or starts with
// a quote: unquoted, it would run into its value or into the next line. MapLines builds names
// from user map keys, and without this two different maps could print the same description,
// and so share a key: {"a x\nenv.b": "y"} and {"a": "x", "b": "y"}.
func quoteNameIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \n\r\t\v\f") || strings.HasPrefix(s, "\"") {
		return strconv.Quote(s)
	}
	return s
}

// KeyOf hashes a description into an action key.
func KeyOf(description string) cache.Digest { return cache.Sum([]byte(description)) }

// parseDescription splits a description back into lines, for `why`.
func parseDescription(desc string) []Line {
	var lines []Line
	if desc == "" {
		return nil
	}
	for _, raw := range strings.Split(strings.TrimSuffix(desc, "\n"), "\n") {
		name, value := raw, ""
		if strings.HasPrefix(raw, "\"") {
			if q, err := strconv.QuotedPrefix(raw); err == nil {
				name, _ = strconv.Unquote(q)
				value = strings.TrimPrefix(raw[len(q):], " ")
			}
		} else {
			name, value, _ = strings.Cut(raw, " ")
		}
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
// followed by lines that disappeared. A name may appear on several lines (one per file of a
// list, say): the n-th line of a name is compared with the n-th line of that name on the
// other side, so a change in any of them is named, with its own old value.
func DiffDescriptions(oldDesc, newDesc string) []LineChange {
	type slot struct {
		name string
		n    int
	}
	number := func(lines []Line) []slot {
		seen := map[string]int{}
		slots := make([]slot, len(lines))
		for i, l := range lines {
			slots[i] = slot{l.Name, seen[l.Name]}
			seen[l.Name]++
		}
		return slots
	}
	oldLines, newLines := parseDescription(oldDesc), parseDescription(newDesc)
	oldSlots, newSlots := number(oldLines), number(newLines)
	oldValues := map[slot]string{}
	for i, l := range oldLines {
		oldValues[oldSlots[i]] = l.Value
	}
	var changes []LineChange
	seen := map[slot]bool{}
	for i, l := range newLines {
		seen[newSlots[i]] = true
		if o, ok := oldValues[newSlots[i]]; !ok || o != l.Value {
			changes = append(changes, LineChange{Name: l.Name, Old: o, New: l.Value})
		}
	}
	for i, l := range oldLines {
		if !seen[oldSlots[i]] {
			changes = append(changes, LineChange{Name: l.Name, Old: l.Value})
		}
	}
	return changes
}

// SettingsWork is the work of a target that does nothing by itself, such as a generator or an
// environment built alone (their actions are per commit): the result records the settings as
// the key describes them, so building the target checks it and needs no network. The lines
// must come from the target's config alone: the work is Recordable.
func SettingsWork(ruleVersion int, lines []Line) *Work {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%s %s\n", l.Name, l.Value)
	}
	return &Work{RuleVersion: ruleVersion, Lines: lines, Done: OK(map[string][]byte{"config": []byte(b.String())}, nil), Recordable: true}
}
