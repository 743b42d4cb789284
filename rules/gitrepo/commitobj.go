package gitrepo

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Commit is a parsed commit object. Reading the raw object (one cat-file answer) rather than
// asking `git log --format` for each field lets one long-lived process serve a whole build.
type Commit struct {
	SHA     string
	Tree    string
	Parents []string
	Author  string
	Email   string
	Date    string // author date, RFC 3339 in the author's own time zone
	Subject string // the first paragraph of the message on one line, as git's %s
	Message string // the whole message, without trailing newlines
}

// parseCommit reads a raw commit object: header lines ("tree", "parent", "author",
// "committer", and others such as "gpgsig" whose continuation lines start with a space), a
// blank line, then the message.
func parseCommit(sha string, data []byte) (*Commit, error) {
	c := &Commit{SHA: sha}
	header, message, _ := bytes.Cut(data, []byte("\n\n"))
	for _, line := range strings.Split(string(header), "\n") {
		if strings.HasPrefix(line, " ") {
			continue // continuation of a multi-line header (a signature)
		}
		name, value, _ := strings.Cut(line, " ")
		switch name {
		case "tree":
			c.Tree = value
		case "parent":
			c.Parents = append(c.Parents, value)
		case "author":
			var err error
			if c.Author, c.Email, c.Date, err = parseIdent(value); err != nil {
				return nil, fmt.Errorf("the commit %s has an author line git would not write (%q): %v", Short(sha), value, err)
			}
		}
	}
	if c.Tree == "" {
		return nil, fmt.Errorf("the commit %s has no tree", Short(sha))
	}
	c.Message = strings.TrimRight(string(message), "\n")
	c.Subject = subject(c.Message)
	return c, nil
}

// parseIdent splits "Name <email> 1700000000 +0100" into name, email and an RFC 3339 date.
// Git is lenient about names (they may hold '<'), so the email is the last <...> pair.
func parseIdent(s string) (name, email, date string, err error) {
	lt, gt := strings.LastIndexByte(s, '<'), strings.LastIndexByte(s, '>')
	if lt < 0 || gt < lt {
		return "", "", "", fmt.Errorf("no <email>")
	}
	name, email = strings.TrimSpace(s[:lt]), s[lt+1:gt]
	fields := strings.Fields(s[gt+1:])
	if len(fields) != 2 {
		return "", "", "", fmt.Errorf("no timestamp and time zone")
	}
	secs, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return "", "", "", fmt.Errorf("bad timestamp %q", fields[0])
	}
	tz := fields[1]
	if len(tz) != 5 || (tz[0] != '+' && tz[0] != '-') {
		return "", "", "", fmt.Errorf("bad time zone %q", tz)
	}
	hh, err1 := strconv.Atoi(tz[1:3])
	mm, err2 := strconv.Atoi(tz[3:5])
	if err1 != nil || err2 != nil {
		return "", "", "", fmt.Errorf("bad time zone %q", tz)
	}
	offset := hh*3600 + mm*60
	if tz[0] == '-' {
		offset = -offset
	}
	// A zone with a fixed offset formats as "+01:00" (or "Z" at +0000), which is what git's
	// %aI prints too, apart from that Z.
	t := time.Unix(secs, 0).In(time.FixedZone("", offset))
	return name, email, t.Format(time.RFC3339), nil
}

// subject is the first paragraph of a message joined into one line, as git's %s.
func subject(message string) string {
	para, _, _ := strings.Cut(strings.TrimLeft(message, "\n"), "\n\n")
	lines := strings.Split(para, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(strings.Join(lines, " "))
}
