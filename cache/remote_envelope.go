package cache

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// The action cache half of Bazel's HTTP cache protocol stores, under /ac/<key>, an
// ActionResult protobuf (build.bazel.remote.execution.v2). bazel-remote, the server most
// Bazel users run, refuses anything else with "400 Failed to add worker metadata: proto:
// cannot parse invalid wire-format data" unless it was started with
// --disable_http_ac_validation (seen with v2.6.1). An isobench entry is JSON, so it travels
// as a CAS blob, and the AC value is an envelope: a minimal ActionResult whose output files
// name the entry's JSON, its outputs and its log by digest and size. That gives:
//
//   - any Bazel HTTP cache accepts it, validating or not;
//   - bazel-remote serves an AC value only while every output file it names is still in its
//     CAS, so a result whose blobs were evicted reads as a miss rather than a broken hit;
//   - only isobench needs to understand the entry itself; the envelope carries nothing the
//     entry does not (the blob paths are for people reading the server's contents).
//
// Only the fields written are encoded, with protowire: the generated REAPI package would be
// far larger than the three messages used here.

// Field numbers of build.bazel.remote.execution.v2, remote_execution.proto.
const (
	fieldResultOutputFiles = 2 // ActionResult.output_files, repeated OutputFile
	fieldFilePath          = 1 // OutputFile.path
	fieldFileDigest        = 2 // OutputFile.digest
	fieldDigestHash        = 1 // Digest.hash
	fieldDigestSize        = 2 // Digest.size_bytes
)

// Paths of the envelope's output files. Output names are the engine's and may hold any
// character a path may, except that a path must not be empty or absolute, which the prefix
// guarantees.
const (
	envelopeEntryPath  = "isobench/entry.json"
	envelopeOutputPath = "isobench/outputs/"
	envelopeLogPath    = "isobench/log"
)

// blobRef names one CAS blob with its size, as REAPI digests do.
type blobRef struct {
	Path string
	Hash Digest
	Size int64
}

// encodeEnvelope returns the ActionResult naming refs as its output files.
func encodeEnvelope(refs []blobRef) []byte {
	var out []byte
	for _, r := range refs {
		var digest []byte
		digest = protowire.AppendTag(digest, fieldDigestHash, protowire.BytesType)
		digest = protowire.AppendString(digest, string(r.Hash))
		if r.Size != 0 { // proto3 leaves zero scalars out
			digest = protowire.AppendTag(digest, fieldDigestSize, protowire.VarintType)
			digest = protowire.AppendVarint(digest, uint64(r.Size))
		}
		var file []byte
		file = protowire.AppendTag(file, fieldFilePath, protowire.BytesType)
		file = protowire.AppendString(file, r.Path)
		file = protowire.AppendTag(file, fieldFileDigest, protowire.BytesType)
		file = protowire.AppendBytes(file, digest)
		out = protowire.AppendTag(out, fieldResultOutputFiles, protowire.BytesType)
		out = protowire.AppendBytes(out, file)
	}
	return out
}

// decodeEnvelope returns the output files of an ActionResult. Fields it does not know are
// skipped: a server may add its own (bazel-remote records the uploading worker in
// execution_metadata).
func decodeEnvelope(b []byte) ([]blobRef, error) {
	var refs []blobRef
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != fieldResultOutputFiles || typ != protowire.BytesType {
			return nil
		}
		var r blobRef
		err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
			switch {
			case num == fieldFilePath && typ == protowire.BytesType:
				r.Path = string(v)
			case num == fieldFileDigest && typ == protowire.BytesType:
				return eachField(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
					switch {
					case num == fieldDigestHash && typ == protowire.BytesType:
						r.Hash = Digest(v)
					case num == fieldDigestSize && typ == protowire.VarintType:
						n, _ := protowire.ConsumeVarint(v)
						r.Size = int64(n)
					}
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		refs = append(refs, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("the action cache value is not an ActionResult: %w", err)
	}
	return refs, nil
}

// eachField calls fn with every field of a message: for a length-delimited field, v is its
// content; for a varint, v holds the encoded varint.
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		if typ == protowire.BytesType {
			var m int
			v, m = protowire.ConsumeBytes(b)
			n = m
		} else {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n >= 0 {
				v = b[:n]
			}
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v); err != nil {
			return err
		}
	}
	return nil
}

// envelopeRefs lists what an entry's envelope names: the entry's own JSON, then its outputs
// and log. sizes gives each blob's length.
func envelopeRefs(entryJSON Digest, entrySize int64, e *Entry, sizes map[Digest]int64) []blobRef {
	refs := []blobRef{{Path: envelopeEntryPath, Hash: entryJSON, Size: entrySize}}
	for _, name := range slices.Sorted(maps.Keys(e.Outputs)) {
		d := e.Outputs[name]
		refs = append(refs, blobRef{Path: envelopeOutputPath + name, Hash: d, Size: sizes[d]})
	}
	if e.Log != "" {
		refs = append(refs, blobRef{Path: envelopeLogPath, Hash: e.Log, Size: sizes[e.Log]})
	}
	return refs
}

// entryRef finds the entry's JSON among an envelope's output files.
func entryRef(refs []blobRef) (blobRef, error) {
	for _, r := range refs {
		if r.Path == envelopeEntryPath {
			if !r.Hash.Valid() {
				return r, fmt.Errorf("the entry's digest %q is not a SHA-256", truncate(string(r.Hash)))
			}
			return r, nil
		}
	}
	var paths []string
	for _, r := range refs {
		paths = append(paths, r.Path)
	}
	return blobRef{}, fmt.Errorf("the ActionResult names no %s (it names %s), so another tool wrote it",
		envelopeEntryPath, orNothing(strings.Join(paths, ", ")))
}

func orNothing(s string) string {
	if s == "" {
		return "no output files"
	}
	return s
}

// truncate keeps what a remote sent short enough to quote in a message.
func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
