package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/dgraph-io/badger/v4"
)

// Stats describe what a store holds.
type Stats struct {
	Entries        int
	ByMnemonic     map[string]int
	ByStatus       map[string]int
	Blobs          int
	BlobBytes      int64 // content bytes, before Badger's own overhead
	HistoryEntries int
	DiskBytes      int64 // blocks in use under the store's directory
}

// Stats counts entries, blobs and history, reading sizes from the size
// records and never a blob's content.
func (s *Store) Stats() (Stats, error) {
	st := Stats{ByMnemonic: map[string]int{}, ByStatus: map[string]int{}}
	err := s.view(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		for _, p := range []string{prefixEntry, prefixBlobSize, prefixHistory} {
			for it.Seek([]byte(p)); it.ValidForPrefix([]byte(p)); it.Next() {
				item := it.Item()
				switch p {
				case prefixEntry:
					// The entry's mnemonic is stored as "kind".
					var e struct {
						Mnemonic string `json:"kind"`
						Status   string
					}
					if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &e) }); err != nil {
						return err
					}
					st.Entries++
					st.ByMnemonic[e.Mnemonic]++
					st.ByStatus[e.Status]++
				case prefixBlobSize:
					if err := item.Value(func(v []byte) error {
						st.BlobBytes += int64(decodeUint(v))
						return nil
					}); err != nil {
						return err
					}
					st.Blobs++
				case prefixHistory:
					st.HistoryEntries++
				}
			}
		}
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("counting cache contents: %w", err)
	}
	st.DiskBytes, err = diskUsage(s.dir)
	if err != nil {
		return Stats{}, err
	}
	return st, nil
}

// diskUsage counts allocated blocks, not file sizes: Badger preallocates
// its value log and memtable files as sparse files of up to 2 GiB, whose
// length says nothing about the space they take.
func diskUsage(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a table compacted away while we walk, or no store yet
		}
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			n += st.Blocks * 512 // st_blocks counts 512-byte units whatever the file system's block size
		} else {
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("measuring cache on disk: %w", err)
	}
	return n, nil
}
