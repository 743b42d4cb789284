package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// encodeJSONL writes one record per line. The records hold no NaN or Infinity (every float
// went through finite when the record was built), and encoding/json refuses them anyway, so
// the output is strict JSON that any parser reads. HTML escaping is off: a diff full of `<`
// stays readable.
func encodeJSONL(records []Record) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range records {
		if err := enc.Encode(&records[i]); err != nil {
			return nil, fmt.Errorf("encoding the record of %s: %w", records[i].Benchmark, err)
		}
	}
	return buf.Bytes(), nil
}

// ReadJSONL reads records from a dataset's JSONL file, as the report does.
func ReadJSONL(r io.Reader) ([]Record, error) {
	var records []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30) // a record carries a whole diff and test script
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("line %d of the dataset is not a record: %w", line, err)
		}
		records = append(records, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the dataset: %w", err)
	}
	return records, nil
}

// finite returns a pointer to f, or nil when f is NaN or infinite: strict JSON has no token
// for those, and a missing value is null.
func finite(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// finitePtr is finite for a value that may already be missing.
func finitePtr(p *float64) *float64 {
	if p == nil {
		return nil
	}
	return finite(*p)
}

// str returns a pointer to s, or nil for "": in a record an empty string means "not known".
func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
