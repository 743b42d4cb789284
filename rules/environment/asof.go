package environment

import (
	"fmt"
	"strings"
	"time"
)

// resolve_as_of makes an old commit's environment out of the releases of its own time: the
// preflight ignores files an index says were uploaded after the moment (PEP 700's
// upload-time, in PEP 691 JSON pages, or the data-upload-time attribute that uv reads in
// HTML pages), and the installer is told the same moment for what it resolves itself, the
// dependencies of the packages named: uv with --exclude-newer, pip 26.0 and later with
// --uploaded-prior-to. An older pip has no such option, so an environment with
// resolve_as_of refuses it rather than quietly installing today's dependencies.
//
// Files on an index written with `commit` in it, and direct wheel URLs, are the commit's own
// build: they are exempt, since CI uploads them after the commit's date.
//
// A file whose index gives no upload time is treated as uv treats it: as if it were not
// there. A moment-in-time resolution that took undated files would not be one.

// parseAsOf reads "2024-11-28" (midnight UTC) or an RFC 3339 time such as commit.date
// ("2024-11-28T10:39:56+08:00").
func parseAsOf(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("resolve_as_of = %q is not a date (\"2024-11-28\") or an RFC 3339 time (\"2024-11-28T10:39:56Z\", which commit.date is)", s)
}

// asOfText is the moment as installers and keys read it: RFC 3339 in UTC, to the second.
func asOfText(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// pipUploadedPriorTo is the first pip with --uploaded-prior-to.
const pipUploadedPriorToMajor, pipUploadedPriorToMinor = 26, 0

// datedFiles keeps the files uploaded at or before cutoff; it counts the files left out for
// being newer and for having no upload time, for the preflight's reason.
func datedFiles(files []indexFile, cutoff time.Time) (kept []indexFile, newer, undated int) {
	for _, f := range files {
		switch {
		case f.UploadTime.IsZero():
			undated++
		case f.UploadTime.After(cutoff):
			newer++
		default:
			kept = append(kept, f)
		}
	}
	return kept, newer, undated
}
