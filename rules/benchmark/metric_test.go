package benchmark

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/isobench/isobench/rules/artifact"
)

func TestMetricParse(t *testing.T) {
	one := func(metric string, v float64, unit string) []Reading {
		return []Reading{{Metric: metric, Unit: unit, Values: []float64{v}}}
	}
	cases := []struct {
		name           string
		spec           MetricSpec
		stdout, stderr string
		want           []Reading
		err            string
	}{
		{name: "json last line", stdout: "warming up\n{\"metric\": \"latency\", \"value\": 0.0123, \"unit\": \"s\"}\n",
			want: one("latency", 0.0123, "s")},
		{name: "lines of one metric add up", stdout: `{"metric": "latency", "value": 1}` + "\n" + `{"metric": "latency", "value": 2}`,
			want: []Reading{{"latency", "", []float64{1, 2}}}},
		{name: "many values", stdout: `{"metric": "latency", "values": [0.0121, 0.0119], "unit": "s"}` + "\n" + `{"metric": "latency", "values": [0.012]}`,
			err: "both"},
		{name: "many values and metrics", stdout: `{"metric": "latency", "values": [0.0121, 0.0119], "unit": "s"}` + "\nlog\n" +
			`{"metric": "throughput", "value": 900, "unit": "tok/s"}` + "\n" + `{"metric": "latency", "values": [0.012], "unit": "s"}`,
			want: []Reading{{"latency", "s", []float64{0.0121, 0.0119, 0.012}}, {"throughput", "tok/s", []float64{900}}}},
		{name: "json without value is not a metric", stdout: "Execution time: 0.5s\n{\"avg_ms\": 3.2, \"device\": \"cuda\"}\n",
			want: one("execution_time", 0.5, "s")},
		{name: "execution time", stdout: "Execution time: 0.012345s\n", want: one("execution_time", 0.012345, "s")},
		{name: "last execution time", stdout: "Execution time: 1.0s\nExecution time: 2.5e-3s\n", want: one("execution_time", 0.0025, "s")},
		{name: "stderr when stdout has none", stdout: "hello\n", stderr: "Execution time: 0.25s\n",
			want: one("execution_time", 0.25, "s")},
		{name: "stdout before stderr", stdout: "Execution time: 1s\n", stderr: "Execution time: 2s\n",
			want: one("execution_time", 1, "s")},
		{name: "unnamed json takes the primary's name", spec: MetricSpec{Name: "latency"}, stdout: `{"value": 3}`,
			want: one("latency", 3, "")},
		{name: "regex group", spec: MetricSpec{Regex: regexp.MustCompile(`p50: ([0-9.]+) ms`), Unit: "ms", Name: "p50"},
			stdout: "p50: 3.5 ms\np50: 4.5 ms\n", want: one("p50", 4.5, "ms")},
		{name: "regex named group", spec: MetricSpec{Regex: regexp.MustCompile(`(?P<what>\w+)=(?P<value>[0-9.]+)`)},
			stdout: "tput=123.5\n", want: one("value", 123.5, "")},
		{name: "regex without match", spec: MetricSpec{Regex: regexp.MustCompile(`p50: ([0-9.]+)`)},
			stdout: "Execution time: 1s\n", err: "no metric"},
		{name: "nothing", stdout: "done\n", err: "no metric"},
		{name: "nan", stdout: `{"metric": "x", "value": 1e999}`, err: "no metric"}, // not a float64: skipped
		{name: "regex nan", spec: MetricSpec{Regex: regexp.MustCompile(`v=(\S+)`)}, stdout: "v=NaN\n", err: "not a measurement"},
	}
	for _, c := range cases {
		got, err := c.spec.Parse([]byte(c.stdout), []byte(c.stderr))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: got %+v, %v; want error %q", c.name, got, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	// The primary metric is the one named, else the first reported.
	rs := []Reading{{Metric: "latency"}, {Metric: "throughput"}}
	if p, ok := (MetricSpec{Name: "throughput"}).primary(rs); !ok || p.Metric != "throughput" {
		t.Errorf("named primary: %+v %v", p, ok)
	}
	if p, ok := (MetricSpec{}).primary(rs); !ok || p.Metric != "latency" {
		t.Errorf("first metric as primary: %+v %v", p, ok)
	}
	if _, ok := (MetricSpec{Name: "memory"}).primary(rs); ok {
		t.Error("a primary metric no run reported must not be found")
	}
}

func TestSchedule(t *testing.T) {
	var order []string
	for _, r := range Schedule(1, 3) {
		s := "A"
		if r.Side == artifact.Head {
			s = "B"
		}
		if r.Warmup {
			s = strings.ToLower(s)
		}
		order = append(order, s)
	}
	if got := strings.Join(order, ""); got != "abBAABBA" {
		t.Errorf("Schedule(1, 3) = %s, want abBAABBA", got)
	}
	// Balanced: over an even number of pairs each side runs first as often as second.
	first := map[artifact.Side]int{}
	runs := Schedule(0, 10)
	for i := 0; i < len(runs); i += 2 {
		first[runs[i].Side]++
	}
	if first[artifact.Base] != 5 || first[artifact.Head] != 5 {
		t.Errorf("first positions %v, want 5 each", first)
	}
	for i, r := range runs {
		if r.Index != i/2 {
			t.Errorf("run %d has index %d", i, r.Index)
		}
	}
}

func TestTail(t *testing.T) {
	if got := tail([]byte("a\nb\nc\n"), 100); got != "a\nb\nc" {
		t.Errorf("short output: %q", got)
	}
	if got := tail([]byte("first line\nsecond line\nthird\n"), 10); got != "third" {
		t.Errorf("cut output starts at a line: %q", got)
	}
}

// A run's line in the log rounds its value to six significant digits: the record keeps it.
func TestDescribeRoundsValue(t *testing.T) {
	v := 5.614503282587342
	got := describe(artifact.Sample{Side: artifact.Base, Index: 0, Value: &v, Seconds: 0.0842}, "ms")
	if want := "base sample 1: 5.6145 ms in 84ms"; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
}
