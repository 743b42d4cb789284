package artifact

// Variant is one candidate patch measured as a side of its own: the base tree with the patch
// applied, run interleaved with base and head in one balanced order. A benchmark's record
// lists its variants (Measurement.Variants); the measurement of one variant holds it alone
// (Measurement.Variant), with the base and head runs taken beside it.
type Variant struct {
	Name        string   `json:"name"`         // as the benchmark's variants map names it: "claude"
	PatchSHA256 string   `json:"patch_sha256"` // of the patch text
	Files       []string `json:"files"`        // the paths the patch touches
	// Method says how the variant's code reached the test: "tree" (a command ran in the
	// patched tree), "pythonpath" (the patched tree on PYTHONPATH, as install = "pythonpath"
	// puts the commit's), "overlay" (the base environment's installed packages, with the
	// patch's Python files laid over a copy of them put first on PYTHONPATH), or "none" (a
	// script with no environment, which sees no code of the repository).
	Method string `json:"method,omitempty"`
	// NotInstalled are the files of an overlay's patch that no installed package holds
	// (tests, benchmarks, documentation): the test cannot see them.
	NotInstalled []string `json:"not_installed,omitempty"`
	// Values are the primary metric's value of each measured run of the variant.
	Values []float64 `json:"values"`
	Median *float64  `json:"median"`
	// OverBase compares base with the variant (Speedup > 1: the variant is better than base);
	// OverHead compares head with it (Speedup > 1: better than the human's commit). Both come
	// from runs of one balanced order, never from runs taken at another time.
	OverBase *Stats `json:"over_base,omitempty"`
	OverHead *Stats `json:"over_head,omitempty"`
	// Verdict is OverBase's verdict (improved, regressed, unchanged, noisy); AgainstHuman is
	// better_than_human, matches_human, worse_than_human or noisy, from OverHead.
	Verdict      string `json:"verdict,omitempty"`
	AgainstHuman string `json:"against_human,omitempty"`
	// FailureClass is set when the variant could not be measured: patch_failed (git apply
	// refused it; Message quotes git), patch_needs_build (it touches compiled code and the
	// environment installs a wheel), variant_failed (its test exited non-zero), or the class
	// of the measurement that failed around it.
	FailureClass string `json:"failure_class,omitempty"`
	Message      string `json:"message,omitempty"`
}

// Verdicts of a variant against the human's commit (Variant.AgainstHuman).
const (
	BetterThanHuman = "better_than_human"
	MatchesHuman    = "matches_human"
	WorseThanHuman  = "worse_than_human"
	NoisyVsHuman    = "noisy"
)
