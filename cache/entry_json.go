package cache

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// decodeEntry decodes an entry's JSON into e, as json.Unmarshal does.
//
// A walk decodes an entry for every action it reaches, and json.Unmarshal, which scans the
// whole value to validate it before scanning it again to decode it, was half the time of a
// lookup. Entries are written by json.Marshal (PutEntry), so they have one shape: the fields
// in order, no spaces, strings with a few escapes. decodeEntry reads that shape in one pass
// and hands anything else (another field, a space, a \u escape, a number that is not a plain
// integer, bytes that are not UTF-8) to json.Unmarshal from the start, so that what it
// accepts, and how it fails, is json.Unmarshal's. FuzzDecodeEntry holds it to that.
func decodeEntry(data []byte, e *Entry) error {
	var fast Entry
	if (&entryReader{b: data}).entry(&fast) {
		*e = fast
		return nil
	}
	return json.Unmarshal(data, e)
}

// entryReader reads json.Marshal's encoding of an Entry; each method reports false at the
// first byte outside it.
type entryReader struct {
	b []byte
	i int
}

// entryFields numbers Entry's fields by JSON name: entry notes each one it reads, and leaves a
// repeated one to json.Unmarshal. field reads a field by its name.
var entryFields = map[string]int{"key": 0, "status": 1, "class": 2, "message": 3, "outputs": 4,
	"log": 5, "meta": 6, "lines": 7, "kind": 8, "created": 9, "duration": 10, "blocked_by": 11}

func (r *entryReader) entry(e *Entry) bool {
	if !r.byte('{') {
		return false
	}
	if r.byte('}') {
		return r.i == len(r.b)
	}
	seen := 0
	for {
		name, ok := r.string()
		if !ok || !r.byte(':') {
			return false
		}
		f, known := entryFields[name]
		if !known || seen&(1<<f) != 0 {
			return false
		}
		seen |= 1 << f
		if !r.field(e, name) {
			return false
		}
		if r.byte('}') {
			return r.i == len(r.b)
		}
		if !r.byte(',') {
			return false
		}
	}
}

func (r *entryReader) field(e *Entry, name string) bool {
	var s string
	ok := true
	switch name {
	case "key":
		s, ok = r.string()
		e.Key = Digest(s)
	case "status":
		e.Status, ok = r.string()
	case "class":
		e.Class, ok = r.string()
	case "message":
		e.Message, ok = r.string()
	case "outputs":
		e.Outputs, ok = r.outputs()
	case "log":
		s, ok = r.string()
		e.Log = Digest(s)
	case "meta":
		e.Meta, ok = r.raw()
	case "lines":
		e.Lines, ok = r.string()
	case "kind":
		e.Mnemonic, ok = r.string()
	case "created":
		start := r.i
		if _, ok = r.string(); ok {
			ok = e.Created.UnmarshalJSON(r.b[start:r.i]) == nil
		}
	case "duration":
		var n int64
		n, ok = r.integer()
		e.Duration = time.Duration(n)
	case "blocked_by":
		e.BlockedBy, ok = r.string()
	}
	return ok
}

func (r *entryReader) byte(c byte) bool {
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// string reads a string whose escapes are among those json.Marshal writes for the bytes it
// does not write as they are, but \u: ", \, \n, \r, \t, and \b, \f and \/ as JSON has them.
func (r *entryReader) string() (string, bool) {
	if !r.byte('"') {
		return "", false
	}
	start, ascii := r.i, true
	for ; r.i < len(r.b); r.i++ {
		switch c := r.b[r.i]; {
		case c == '"':
			s := r.b[start:r.i]
			r.i++
			if !ascii && !utf8.Valid(s) {
				return "", false // json.Unmarshal would put U+FFFD in
			}
			return string(s), true
		case c == '\\':
			return r.escaped(start)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// escaped goes on reading a string begun at start once it meets a backslash.
func (r *entryReader) escaped(start int) (string, bool) {
	out := make([]byte, 0, len(r.b)-start)
	out = append(out, r.b[start:r.i]...)
	for r.i < len(r.b) {
		j := r.i
		for j < len(r.b) && r.b[j] != '"' && r.b[j] != '\\' && r.b[j] >= 0x20 {
			j++
		}
		out = append(out, r.b[r.i:j]...)
		if r.i = j; j == len(r.b) || r.b[j] < 0x20 {
			return "", false
		}
		if r.b[j] == '"' {
			r.i++
			if !utf8.Valid(out) {
				return "", false
			}
			return string(out), true
		}
		if r.i+1 >= len(r.b) {
			return "", false
		}
		switch r.b[r.i+1] {
		case '"', '\\', '/':
			out = append(out, r.b[r.i+1])
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		default:
			return "", false // \u, or not an escape at all
		}
		r.i += 2
	}
	return "", false
}

func (r *entryReader) outputs() (map[string]Digest, bool) {
	if !r.byte('{') {
		return nil, false
	}
	m := map[string]Digest{}
	if r.byte('}') {
		return m, true
	}
	for {
		name, ok := r.string()
		if !ok || !r.byte(':') {
			return nil, false
		}
		if _, dup := m[name]; dup {
			return nil, false
		}
		d, ok := r.string()
		if !ok {
			return nil, false
		}
		m[name] = Digest(d)
		if r.byte('}') {
			return m, true
		}
		if !r.byte(',') {
			return nil, false
		}
	}
}

// raw reads Meta: an object or an array, copied as it is, as json.RawMessage is.
func (r *entryReader) raw() (json.RawMessage, bool) {
	start, depth := r.i, 0
	if r.i >= len(r.b) || r.b[r.i] != '{' && r.b[r.i] != '[' {
		return nil, false
	}
	for ; r.i < len(r.b); r.i++ {
		switch r.b[r.i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				r.i++
				v := r.b[start:r.i]
				if !json.Valid(v) {
					return nil, false
				}
				return append(json.RawMessage(nil), v...), true
			}
		case '"':
			for r.i++; r.i < len(r.b) && r.b[r.i] != '"'; r.i++ {
				if r.b[r.i] == '\\' {
					r.i++
				}
			}
		}
	}
	return nil, false
}

// integer reads a number written as an integer, as json.Marshal writes a time.Duration.
func (r *entryReader) integer() (int64, bool) {
	start := r.i
	r.byte('-')
	digits := r.i
	for r.i < len(r.b) && '0' <= r.b[r.i] && r.b[r.i] <= '9' {
		r.i++
	}
	if r.i == digits || r.b[digits] == '0' && r.i-digits > 1 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(r.b[start:r.i]), 10, 64)
	return n, err == nil
}
