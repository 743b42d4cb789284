package dataset

import (
	"strings"
	"testing"

	"github.com/isobench/isobench/rules/artifact"
)

// TestServerSessions: each run's server session, in run order, numbered as `isobench log
// --server --run` numbers them; a server that never answered has no ready time, and its link
// in the report is marked as a failure. The sessions survive the Parquet copy.
func TestServerSessions(t *testing.T) {
	r := Record{ServerSessions: serverSessions([]artifact.Sample{
		{Side: artifact.Base, Index: 0, Warmup: true, Server: &artifact.ServerRun{Port: 4100, ReadySeconds: 0.5, Clients: 2, Log: "aa"}},
		{Side: artifact.Head, Index: 0, Warmup: true, Server: &artifact.ServerRun{Port: 4101, ReadySeconds: 0.4, Clients: 2, Log: "bb"}},
		{Side: artifact.Base, Index: 1, Server: &artifact.ServerRun{Port: 4102, ReadySeconds: 3, Log: "cc", Failure: "server_exited"}},
		{Side: artifact.Head, Index: 1}, // no server: not a session
	})}
	if len(r.ServerSessions) != 3 {
		t.Fatalf("%d sessions, want 3", len(r.ServerSessions))
	}
	if s := r.ServerSessions[2]; s.Side != "base" || s.Run != 2 || s.Warmup || s.ReadySeconds != nil || *s.Failure != "server_exited" || *s.Log != "cc" {
		t.Errorf("the failed session: %+v", s)
	}
	// A variant's sessions, from its own measurement's runs: its side's and those beside it.
	setVariants(&r, &artifact.Measurement{Variants: []artifact.Variant{{Name: "agent"}, {Name: "patch_failed"}}},
		map[string][]artifact.Sample{"agent": {
			{Side: "agent", Index: 0, Server: &artifact.ServerRun{Port: 4200, ReadySeconds: 0.3, Clients: 2, Log: "dd"}},
			{Side: artifact.Base, Index: 0, Server: &artifact.ServerRun{Port: 4201, ReadySeconds: 0.3, Clients: 2, Log: "ee"}},
		}})
	if v := r.Variants[0].ServerSessions; len(v) != 2 || v[0].Side != "agent" || *v[0].Log != "dd" || v[1].Side != "base" {
		t.Errorf("the variant's sessions: %+v", v)
	}
	if v := r.Variants[1].ServerSessions; len(v) != 0 {
		t.Errorf("a variant that never ran has sessions: %+v", v)
	}
	r.Provenance.Actions = []ActionRef{}
	records := []Record{r, {Provenance: r.Provenance}} // the second without a server
	jsonl, err := encodeJSONL(records)
	if err != nil {
		t.Fatal(err)
	}
	checkParquetCopy(t, records, jsonl)

	var got []string
	for _, l := range serverLogLinks(r.ServerSessions) {
		got = append(got, l.Label+" "+l.Href+" "+l.Title)
	}
	want := "base 1 (warmup) server-logs/aa.txt ready after 0.50 s, 2 client runs|" +
		"head 1 (warmup) server-logs/bb.txt ready after 0.40 s, 2 client runs|base 2 server-logs/cc.txt server_exited"
	if strings.Join(got, "|") != want {
		t.Errorf("links:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}
