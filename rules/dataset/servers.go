package dataset

import (
	"fmt"
	"path"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// A serving benchmark starts a server for every run; each record lists those sessions, and
// the report links each session's log. The logs are kept in the cache (an output of the
// measurement, named by digest in the session); a serving dataset of a hundred benchmarks of
// ten runs a side holds thousands of them, up to a megabyte each, far too much for the one
// page the report is. So the report's page links them as files beside it, under
// ServerLogDir, named by digest: the page and that directory copied together keep their
// links, and two reports written into one directory share the files without conflict.

// ServerSession is one run's server session.
type ServerSession struct {
	Side string `json:"side" parquet:"side"`
	// Run counts the side's runs from 1, warmups first, as `isobench log --server --run`
	// and the measurement's log do.
	Run          int64    `json:"run" parquet:"run"`
	Warmup       bool     `json:"warmup" parquet:"warmup"`
	Port         int64    `json:"port" parquet:"port"`
	ReadySeconds *float64 `json:"ready_seconds" parquet:"ready_seconds,optional"` // null: it never answered
	StopSeconds  *float64 `json:"stop_seconds" parquet:"stop_seconds,optional"`
	Clients      int64    `json:"clients" parquet:"clients"` // client invocations that completed
	Failure      *string  `json:"failure" parquet:"failure,optional"`
	Log          *string  `json:"log" parquet:"log,optional"` // SHA-256 of the server's log in the cache
}

// serverSessions lists the server sessions of a measurement's runs, in the order they ran.
func serverSessions(samples []artifact.Sample) []ServerSession {
	var out []ServerSession
	for _, s := range samples {
		sv := s.Server
		if sv == nil || sv.Log == "" {
			continue // no server (a result file read without one)
		}
		ss := ServerSession{Side: string(s.Side), Run: int64(s.Index) + 1, Warmup: s.Warmup, Port: int64(sv.Port),
			StopSeconds: finite(sv.StopSeconds), Clients: int64(sv.Clients), Failure: str(sv.Failure), Log: str(sv.Log)}
		if sv.Failure != "server_exited" && sv.Failure != "server_not_ready" {
			ss.ReadySeconds = finite(sv.ReadySeconds)
		}
		out = append(out, ss)
	}
	return out
}

// ServerLogDir is the directory beside a report's page that holds the server logs it links.
const ServerLogDir = "server-logs"

// serverLogPath is where the report's page finds the log of digest, relative to the page.
func serverLogPath(digest string) string {
	return path.Join(ServerLogDir, digest+".txt")
}

// serverLogLink is a session's link in a record's card: "base 1", its title saying how the
// session went.
type serverLogLink struct {
	Href, Label, Title string
	Failed             bool
}

func serverLogLinks(sessions []ServerSession) []serverLogLink {
	var out []serverLogLink
	for _, s := range sessions {
		if s.Log == nil {
			continue
		}
		l := serverLogLink{Href: serverLogPath(*s.Log), Label: fmt.Sprintf("%s %d", s.Side, s.Run)}
		switch {
		case s.Failure != nil:
			l.Title, l.Failed = *s.Failure, true
		case s.ReadySeconds != nil:
			l.Title = fmt.Sprintf("ready after %.2f s, %d client runs", *s.ReadySeconds, s.Clients)
		}
		if s.Warmup {
			l.Label += " (warmup)"
		}
		out = append(out, l)
	}
	return out
}

// ReportFiles implements engine.ReportFiles: the server logs the page links (the benchmark's
// and its variants'), by their path beside it.
func (Kind) ReportFiles(label engine.Label, o *engine.Outcome, blobs engine.Blobs) (map[string]cache.Digest, error) {
	records, err := readRecords(label, o, blobs)
	if err != nil {
		return nil, err
	}
	files := map[string]cache.Digest{}
	add := func(sessions []ServerSession) {
		for _, s := range sessions {
			if s.Log != nil {
				files[serverLogPath(*s.Log)] = cache.Digest(*s.Log)
			}
		}
	}
	for _, r := range records {
		add(r.ServerSessions)
		for _, v := range r.Variants {
			add(v.ServerSessions)
		}
	}
	return files, nil
}
