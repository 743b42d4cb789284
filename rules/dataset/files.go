package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/isobench/isobench/cache"
	"github.com/isobench/isobench/engine"
)

// Output names of a dataset action. The JSONL is always stored in the cache, whatever the
// formats, because the report reads records from it; it is written to the output directory
// only when "jsonl" is among the formats.
const (
	OutputJSONL    = "jsonl"
	OutputParquet  = "parquet"
	OutputCard     = "card"
	OutputManifest = "manifest"
)

// Paths of the files in the output directory: the Hugging Face datasets layout, one split
// named train in one shard, with the card at the root. The manifest sits beside the card;
// the card's `configs` section names the data files, so the Hub does not take the manifest
// for data.
var filePaths = map[string]string{
	OutputJSONL:    "data/train-00000-of-00001.jsonl",
	OutputParquet:  "data/train-00000-of-00001.parquet",
	OutputCard:     "README.md",
	OutputManifest: "manifest.json",
}

// fileOrder is the order files are listed in the manifest.
var fileOrder = []string{OutputCard, OutputJSONL, OutputParquet}

// fileIn is where an output is written inside the dataset's directory dir.
func fileIn(dir, output string) string {
	return filepath.Join(dir, filepath.FromSlash(filePaths[output]))
}

// fileOutputs are the outputs written as files for the given formats.
func fileOutputs(formats []Format) []string {
	names := []string{OutputCard, OutputManifest}
	for _, f := range formats {
		switch f {
		case FormatJSONL:
			names = append(names, OutputJSONL)
		case FormatParquet:
			names = append(names, OutputParquet)
		}
	}
	return names
}

// writeFiles makes the output directory hold exactly the given outputs: a file whose content
// is already right is left alone (its modification time too), others are written to a
// temporary file and renamed into place, so a reader never sees half a file. Files of known
// outputs that are no longer produced (a format dropped) are removed; anything else in the
// directory is the user's and stays.
func writeFiles(dir string, outputs map[string][]byte, names []string) error {
	keep := map[string]bool{}
	for _, name := range names {
		keep[name] = true
		path := fileIn(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, outputs[name]) {
			continue
		}
		if err := engine.WriteFileAtomic(path, outputs[name]); err != nil {
			return err
		}
	}
	for name, rel := range filePaths {
		if keep[name] {
			continue
		}
		err := os.Remove(fileIn(dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the dataset file %s that is no longer produced: %w", rel, err)
		}
	}
	return nil
}

// filesMatch reports whether the output directory holds the files of a cached result, byte
// for byte. It is the dataset action's StillValid: a cached dataset whose files were deleted
// or edited is run again, which writes them again (with the same content: a dataset is
// deterministic).
func filesMatch(dir string, names []string, d *engine.Outcome) bool {
	if d.Status != engine.StatusOK {
		return true // nothing was written
	}
	for _, name := range names {
		want, ok := d.Outputs[name]
		if !ok {
			return false
		}
		data, err := os.ReadFile(fileIn(dir, name))
		if err != nil || cache.Sum(data) != want {
			return false
		}
	}
	return true
}

// restoreFiles writes the dataset's files from the cached outputs: a replayed dataset whose
// files were deleted, or that came from a remote cache, appears without executing anything.
func restoreFiles(dir string, names []string, d *engine.Outcome, blobs engine.Blobs) error {
	outputs := map[string][]byte{}
	for _, name := range names {
		data, err := blobs.Get(d.Outputs[name])
		if err != nil {
			return err
		}
		outputs[name] = data
	}
	return writeFiles(dir, outputs, names)
}
