package benchmark

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/isobench/isobench/engine"
)

// readClient reads one client invocation's metrics: each name of `metrics` from the result
// file (a JSON object such as `vllm bench serve --save-result` writes; "a.b" reads a nested
// key), each of `metric_patterns` from its stdout (the last match; group "value", else group
// 1). It returns the readings in the order of the names, or what is missing.
func (s *Serving) readClient(result []byte, haveResult bool, stdout []byte) ([]Reading, error) {
	var out []Reading
	if len(s.MetricKeys) > 0 {
		if !haveResult {
			return nil, fmt.Errorf("the client wrote no result file %s (in its working directory or $ISOBENCH_RUN_DIR)", s.ResultFile)
		}
		var doc map[string]any
		if err := json.Unmarshal(result, &doc); err != nil {
			return nil, fmt.Errorf("the result file %s is not a JSON object: %v", s.ResultFile, err)
		}
		for _, name := range slices.Sorted(maps.Keys(s.MetricKeys)) {
			key := s.MetricKeys[name]
			v, err := lookupKey(doc, key)
			if err != nil {
				return nil, fmt.Errorf("the result file %s %v", s.ResultFile, err)
			}
			out = append(out, Reading{Metric: name, Unit: s.unitOf(name, key), Values: []float64{v}})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Patterns)) {
		re := s.Patterns[name]
		all := re.FindAllSubmatch(stdout, -1)
		if len(all) == 0 {
			return nil, fmt.Errorf("the client's output has no match of the pattern of %s, %q", name, re)
		}
		m := all[len(all)-1]
		text := m[0]
		if i := re.SubexpIndex("value"); i > 0 {
			text = m[i]
		} else if len(m) > 1 {
			text = m[1]
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(string(text)), 64)
		if err != nil {
			return nil, fmt.Errorf("the pattern of %s matched %q, which is not a number", name, text)
		}
		out = append(out, Reading{Metric: name, Unit: s.unitOf(name, name), Values: []float64{v}})
	}
	for _, r := range out {
		if math.IsNaN(r.Values[0]) || math.IsInf(r.Values[0], 0) {
			return nil, fmt.Errorf("the client reported %v for %s, which is not a measurement", r.Values[0], r.Metric)
		}
	}
	return out, nil
}

// lookupKey finds a number under a key, "a.b.c" for nested objects; a key that exists as
// written (with its dots) wins.
func lookupKey(doc map[string]any, key string) (float64, error) {
	var v any = doc
	if x, ok := doc[key]; ok {
		v = x
	} else {
		parts := strings.Split(key, ".")
		for i, part := range parts {
			obj, ok := v.(map[string]any)
			if !ok {
				return 0, fmt.Errorf("has no key %q", key)
			}
			if v, ok = obj[part]; !ok {
				return 0, fmt.Errorf("has no key %q%s", key, nearestKey(obj, parts[:i], part))
			}
		}
	}
	switch x := v.(type) {
	case float64:
		return x, nil
	case nil:
		return 0, fmt.Errorf("has null under %q", key)
	default:
		return 0, fmt.Errorf("has %v under %q, which is not a number", x, key)
	}
}

// unitOf is a metric's unit: the one given in `units`, else what its key says in vLLM's
// naming (median_ttft_ms, output_throughput, request_throughput).
func (s *Serving) unitOf(name, key string) string {
	if u, ok := s.Units[name]; ok {
		return u
	}
	switch {
	case strings.HasSuffix(key, "_ms"):
		return "ms"
	case strings.HasSuffix(key, "_s"):
		return "s"
	case strings.Contains(key, "request_throughput"):
		return "req/s"
	case strings.Contains(key, "throughput"):
		return "tok/s"
	}
	return ""
}

// nearestKey is a hint naming the key of obj (under the path parent) nearest to the missing
// one, as it would be written in metrics: a misspelt "median_tpot" finds "median_tpot_ms".
func nearestKey(obj map[string]any, parent []string, missing string) string {
	near := engine.Suggest(missing, slices.Collect(maps.Keys(obj)))
	if near == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", strings.Join(append(slices.Clone(parent), near), "."))
}
