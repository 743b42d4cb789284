package dataset

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
)

// Manifest is manifest.json: what a dataset was built from, for a reader who wants to trace
// a file back to the cached results behind it (`isobench why`, the store's history) without
// opening every record.
type Manifest struct {
	Dataset         string   `json:"dataset"` // label
	IsobenchVersion string   `json:"isobench_version"`
	BuildTime       *string  `json:"build_time"` // newest build time of any record
	Formats         []Format `json:"formats"`
	Include         []string `json:"include"`
	Records         int      `json:"records"`
	// Files lists the data files and the card with their SHA-256 (the manifest cannot list
	// itself).
	Files []ManifestFile `json:"files"`
	// Benchmarks lists every benchmark the patterns selected, kept or not.
	Benchmarks []ManifestBenchmark `json:"benchmarks"`
	// Actions is every action the dataset read, sorted by ID, each once: the measurements
	// and everything they depend on, including those of records `include` left out (their
	// outcome decided that).
	Actions []ActionRef `json:"actions"`
}

// ManifestFile is one file of the dataset directory.
type ManifestFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int    `json:"bytes"`
}

// ManifestBenchmark is one benchmark and what became of it.
type ManifestBenchmark struct {
	Benchmark string  `json:"benchmark"`
	Measure   string  `json:"measure"` // the measure action's ID
	Key       *string `json:"key"`
	Status    string  `json:"status"`
	Class     *string `json:"class"`
	Included  bool    `json:"included"`
}

// buildManifest describes a dataset. outputs holds the bytes of the files already encoded.
func (c *Config) buildManifest(g *gathered, records []Record, kept map[string]bool, outputs map[string][]byte) ([]byte, error) {
	m := Manifest{
		Dataset:         c.Label.String(),
		IsobenchVersion: Version(),
		BuildTime:       g.buildTime(g.actions),
		Formats:         c.Formats,
		Include:         c.Include,
		Records:         len(records),
		Files:           []ManifestFile{},
		Benchmarks:      []ManifestBenchmark{},
		Actions:         []ActionRef{},
	}
	if len(m.Include) == 0 {
		m.Include = []string{"all"}
	}
	for _, name := range fileOrder {
		data, ok := outputs[name]
		if !ok || !c.writes(name) {
			continue
		}
		m.Files = append(m.Files, ManifestFile{Path: filePaths[name], SHA256: fmt.Sprintf("%x", sha256.Sum256(data)), Bytes: len(data)})
	}
	for _, b := range g.benchmarks {
		ref := g.ref(b.measure)
		m.Benchmarks = append(m.Benchmarks, ManifestBenchmark{Benchmark: b.label.String(), Measure: ref.ID, Key: ref.Key,
			Status: ref.Status, Class: ref.Class, Included: kept[b.label.String()]})
	}
	for _, a := range g.actions {
		m.Actions = append(m.Actions, g.ref(a))
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// writes reports whether an output becomes a file in the output directory.
func (c *Config) writes(name string) bool {
	for _, n := range fileOutputs(c.Formats) {
		if n == name {
			return true
		}
	}
	return false
}
