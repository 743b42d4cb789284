package dataset

import (
	"bytes"
	"fmt"

	"github.com/parquet-go/parquet-go"
)

// encodeParquet writes records as one Parquet file with a single row group. Nothing in it
// depends on the time or the machine (no timestamps in the footer, Snappy is deterministic),
// so the same records always give the same bytes.
//
// The schema comes from Record's parquet tags: nullable values are optional columns, slices
// are standard three-level LIST columns and nested structs are groups, which Arrow (and so
// the Hugging Face datasets library) reads as lists and structs.
func encodeParquet(records []Record) ([]byte, error) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[Record](&buf,
		parquet.Compression(&parquet.Snappy),
		parquet.CreatedBy("isobench", Version(), "none"),
	)
	if len(records) > 0 {
		if _, err := w.Write(records); err != nil {
			return nil, fmt.Errorf("writing Parquet rows: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("finishing the Parquet file: %w", err)
	}
	return buf.Bytes(), nil
}

// ReadParquet reads records back from a dataset's Parquet file.
func ReadParquet(data []byte) ([]Record, error) {
	rows, err := parquet.Read[Record](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("reading the Parquet file: %w", err)
	}
	return rows, nil
}
