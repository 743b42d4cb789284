package engine

import (
	"bytes"
	"io"
	"time"
	"unicode"
)

// progressLog passes an executing action's log through and reports each complete line as a
// "progress" event, so that a live display can show where a long action is (a measurement's
// "[3/20] head sample 2: ...", an installer's last line) without the rule knowing about
// displays. The log itself is unchanged.
type progressLog struct {
	w       io.Writer
	h       Handler
	a       *Action
	partial []byte
}

func newProgressLog(w io.Writer, h Handler, a *Action) io.Writer {
	return &progressLog{w: w, h: h, a: a}
}

func (p *progressLog) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.partial = append(p.partial, b[:n]...)
	if i := bytes.LastIndexByte(p.partial, '\n'); i >= 0 {
		lines := bytes.TrimRight(p.partial[:i], "\r\n")
		last := lines[bytes.LastIndexByte(lines, '\n')+1:]
		if bytes.ContainsFunc(last, unicode.IsLetter) { // not a blank line or a rule ("---")
			p.h.Event(Event{Time: time.Now(), Type: "progress", ID: p.a.ID, Label: p.a.Label.String(),
				Mnemonic: p.a.Mnemonic, Message: string(last)})
		}
		p.partial = append(p.partial[:0], p.partial[i+1:]...)
	}
	if len(p.partial) > 4<<10 { // a line this long is output, not progress
		p.partial = p.partial[:0]
	}
	return n, err
}
