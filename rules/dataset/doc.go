// Package dataset is the `dataset` target kind: it collects the outcomes of the benchmarks its
// patterns select, one record per benchmark whatever became of it, and writes them as JSON
// Lines and Parquet in the Hugging Face datasets layout.
//
//	dataset "vllm" {
//	  benchmarks  = ["//benchmarks:all", "-//benchmarks:flaky"] # patterns; only benchmark targets count
//	  formats     = ["jsonl", "parquet"]                        # the default
//	  include     = ["ok", "no_wheel"]                          # default: every outcome
//	  output      = "../published/vllm"                         # default: isobench-out/<package>/<name>
//	  description = "Performance commits of vLLM, measured on H100."
//	  license     = "apache-2.0"
//	}
//
// `include` lists statuses (ok, failed, skipped, blocked), verdicts (improved, regressed,
// unchanged, noisy) and failure classes (no_wheel, base_failed, ...); a record is kept when its
// status, verdict or class is listed. `output` is relative to the package directory, as
// file() is.
//
// # The action
//
// The target plans one action that depends on the measure action of every selected
// benchmark and accepts their failures (a failed, skipped or blocked benchmark still gets a
// record, with its status and failure class; a blocked one carries the class of the failure
// that blocked it). Through the measure action it reads the commit facts, the generated test
// and the environments, found among the measure's dependencies by the names of the outputs
// they produced (package artifact), not by their kind.
//
// Its key lines are every input action's status, class, message, key, output digests, Meta
// digest, log digest and creation time, plus the attributes that shape the files and the
// isobench version. A new measurement rebuilds the dataset; an upstream action that ran
// again with identical output and the same key leaves it cached.
//
// # Files
//
// The output directory holds
//
//	README.md                           dataset card: YAML header (configs, features, split size), then a description
//	data/train-00000-of-00001.parquet   the records (formats include "parquet")
//	data/train-00000-of-00001.jsonl     the records (formats include "jsonl")
//	manifest.json                       every action (ID, kind, key, status, log) the dataset was built from
//
// The same bytes are the action's outputs in the cache (the JSONL always, whatever the
// formats, since the report reads it). When the cached result is replayed, StillValid
// compares the files on disk with the output digests; a file that was deleted or edited makes
// the action run again, which writes the files again with the same content.
//
// # Determinism
//
// Rebuilding an unchanged dataset gives byte-identical files. Records are sorted by
// benchmark label, maps are written sorted, Parquet carries no timestamp, and nothing reads
// the wall clock: a record's provenance.build_time is the newest creation time of the cached
// results it was assembled from (the measurement and its inputs, engine.Outcome.Created), not
// the time the dataset was written. It is null when the store holds none of them.
//
// # Values
//
// JSON is strict: NaN and infinities become null, and every value that is not known is null
// rather than zero or "". performance_improvement follows the upstream *_improvement_*
// columns: the change of the median in percent, positive when head is better. affected_apis
// is a heuristic on the diff text, described at AffectedAPIs. The full list of fields, with
// their meaning, is the card's feature table (fieldDocs in card.go).
//
// # Report
//
// The kind is an engine.Reporter: `isobench report` writes one self-contained HTML page per
// built dataset (report.go, plot.go, page.go), from the JSONL output read back with
// ReadJSONL and the logs the records name.
package dataset
