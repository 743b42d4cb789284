package dataset

import "github.com/isobench/isobench/rules/artifact"

// VariantRecord is one candidate patch of a benchmark (an agent's attempt at the commit's
// optimisation), measured beside base and head in one balanced order. A variant that could
// not be measured is kept with its failure class.
type VariantRecord struct {
	Name        string   `json:"name" parquet:"name"`
	PatchSHA256 string   `json:"patch_sha256" parquet:"patch_sha256"`
	Files       []string `json:"files" parquet:"files,list"`
	// Method is how the variant's code reached the test: tree, pythonpath, overlay or none.
	Method *string `json:"method" parquet:"method,optional"`
	// NotInstalled are the patched files no installed package holds (overlay only).
	NotInstalled []string `json:"not_installed" parquet:"not_installed,optional,list"`
	// Status is ok or failed; FailureClass patch_failed, patch_needs_build, variant_failed, ...
	Status         string     `json:"status" parquet:"status"`
	FailureClass   *string    `json:"failure_class" parquet:"failure_class,optional"`
	FailureMessage *string    `json:"failure_message" parquet:"failure_message,optional"`
	Performance    []*float64 `json:"performance" parquet:"performance,optional,list"`
	Samples        int64      `json:"samples" parquet:"samples"`
	Median         *float64   `json:"median" parquet:"median,optional"`
	// Over base: speedup > 1 when the variant is better than base.
	SpeedupOverBase *float64 `json:"speedup_over_base" parquet:"speedup_over_base,optional"`
	CILowOverBase   *float64 `json:"ci_low_over_base" parquet:"ci_low_over_base,optional"`
	CIHighOverBase  *float64 `json:"ci_high_over_base" parquet:"ci_high_over_base,optional"`
	PValueOverBase  *float64 `json:"p_value_over_base" parquet:"p_value_over_base,optional"`
	PTestOverBase   *string  `json:"p_test_over_base" parquet:"p_test_over_base,optional"`
	Verdict         *string  `json:"verdict" parquet:"verdict,optional"`
	// Over head (the human's commit): speedup > 1 when the variant is better than head.
	SpeedupOverHead *float64 `json:"speedup_over_head" parquet:"speedup_over_head,optional"`
	CILowOverHead   *float64 `json:"ci_low_over_head" parquet:"ci_low_over_head,optional"`
	CIHighOverHead  *float64 `json:"ci_high_over_head" parquet:"ci_high_over_head,optional"`
	PValueOverHead  *float64 `json:"p_value_over_head" parquet:"p_value_over_head,optional"`
	PTestOverHead   *string  `json:"p_test_over_head" parquet:"p_test_over_head,optional"`
	AgainstHuman    *string  `json:"against_human" parquet:"against_human,optional"`
	VerdictReason   *string  `json:"verdict_reason" parquet:"verdict_reason,optional"`
	// ServerSessions are the server sessions of the variant's measurement (a serving
	// benchmark's), one per run in the order they ran: the variant's own runs and the base and
	// head runs taken beside it.
	ServerSessions []ServerSession `json:"server_sessions" parquet:"server_sessions,optional,list"`
}

// setVariants copies the measurement's variants, failed ones included, each with the server
// sessions of its runs (runs, by the variant's name).
func setVariants(r *Record, m *artifact.Measurement, runs map[string][]artifact.Sample) {
	r.Variants = []VariantRecord{}
	for _, v := range m.Variants {
		vr := VariantRecord{Name: v.Name, PatchSHA256: v.PatchSHA256, Files: append([]string{}, v.Files...),
			Method: str(v.Method), NotInstalled: append([]string{}, v.NotInstalled...), Status: "ok", FailureClass: str(v.FailureClass), FailureMessage: str(v.Message),
			Median: finitePtr(v.Median), Verdict: str(v.Verdict), AgainstHuman: str(v.AgainstHuman),
			Performance: []*float64{}, ServerSessions: serverSessions(runs[v.Name])}
		if v.FailureClass != "" {
			vr.Status = "failed"
		}
		for _, x := range v.Values {
			vr.Performance = append(vr.Performance, finite(x))
		}
		vr.Samples = int64(len(v.Values))
		if s := v.OverBase; s != nil {
			vr.SpeedupOverBase, vr.CILowOverBase, vr.CIHighOverBase, vr.PValueOverBase, vr.PTestOverBase = comparison(*s)
		}
		if s := v.OverHead; s != nil {
			vr.SpeedupOverHead, vr.CILowOverHead, vr.CIHighOverHead, vr.PValueOverHead, vr.PTestOverHead = comparison(*s)
			vr.VerdictReason = str(s.Reason)
		}
		r.Variants = append(r.Variants, vr)
	}
}

// variantView is a variant's row in a benchmark's card of the report.
type variantView struct {
	Name, Method           string
	Verdict, OverBase      string
	AgainstHuman, OverHead string
	Failure, Message       string
	ServerLogs             []serverLogLink // files beside the page (servers.go)
}

func variantViews(r *Record) []variantView {
	var out []variantView
	for _, v := range r.Variants {
		vv := variantView{Name: v.Name, Method: deref(v.Method), Verdict: deref(v.Verdict),
			AgainstHuman: deref(v.AgainstHuman), Failure: deref(v.FailureClass), Message: deref(v.FailureMessage),
			OverBase:   speedupText(v.SpeedupOverBase, v.CILowOverBase, v.CIHighOverBase),
			OverHead:   speedupText(v.SpeedupOverHead, v.CILowOverHead, v.CIHighOverHead),
			ServerLogs: serverLogLinks(v.ServerSessions)}
		out = append(out, vv)
	}
	return out
}
