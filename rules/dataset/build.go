package dataset

import (
	"slices"
	"sort"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// buildRecord assembles one record from its decoded inputs. It never fails: whatever is not
// known (the commit could not be resolved, the measurement never ran) is null.
func buildRecord(src *source) Record {
	r := Record{
		Benchmark: src.benchmark.String(),
		Status:    string(src.measured.Status),
		Provenance: Provenance{
			IsobenchVersion: Version(),
			BuildTime:       src.buildTime,
			Actions:         src.actions,
		},
	}
	if !src.commit.IsZero() {
		r.Commit = src.commit.String()
	}
	if r.Provenance.Actions == nil {
		r.Provenance.Actions = []ActionRef{}
	}
	if f := src.facts; f != nil {
		r.InstanceID = instanceID(f)
		r.Repo, r.RepoURL = str(f.RepoURL), str(f.RepoURL)
		if repo, ok := f.ForgeRepo(); ok {
			r.Repo = &repo
		}
		if n, link := f.PullRequest(); n > 0 {
			pr := int64(n)
			r.PRNumber, r.PRURL = &pr, str(link)
		}
		r.BaseCommit = str(f.Base)
		r.HeadCommit = str(f.Head)
		r.CommitSubject = str(f.Subject)
		r.CommitMessage = str(f.Message)
		r.CommitDate = str(f.Date)
		r.FilesChanged = make([]string, 0, len(f.Files))
		for _, c := range f.Files {
			r.FilesChanged = append(r.FilesChanged, c.Path)
		}
		r.AffectedAPIs = AffectedAPIs(f.Diff)
		patch, testPatch := splitPatch(f.Diff)
		r.Patch, r.TestPatch = &patch, &testPatch
	}
	m := src.measurement
	if m != nil {
		// The measurement knows the SHAs even when the commit facts are out of reach.
		if r.BaseCommit == nil {
			r.BaseCommit = str(m.BaseSHA)
		}
		if r.HeadCommit == nil {
			r.HeadCommit = str(m.HeadSHA)
		}
	}
	setTest(&r, src)
	if src.generation != nil {
		r.GenerationConfig = generationConfig(src.generation)
	}
	if m != nil {
		setPerformance(&r, m)
		r.Hardware = hardware(&m.Hardware)
		r.GPUTelemetry = telemetry(m.Samples)
		setRuns(&r, m)
		setVariants(&r, m, src.variantRuns)
		r.ServerSessions = serverSessions(m.Samples)
		r.Preload = preload(m)
	}
	r.Environment = environment(src.envs, m)

	switch src.measured.Status {
	case engine.StatusOK:
		t := true
		r.TestPassed = &t
		if m != nil {
			r.Verdict = str(m.Stats.Verdict)
			r.VerdictReason = str(m.Stats.Reason)
		}
	default:
		class := src.measured.Class
		if class == "" && m != nil {
			class = m.FailureClass
		}
		r.FailureClass = str(class)
		r.FailureMessage = str(src.measured.Message)
		if src.measured.Status == engine.StatusFailed {
			f := false
			r.TestPassed = &f
		}
	}
	return r
}

// setTest fills the test fields: what ran, from the measurement, else what was generated.
func setTest(r *Record, src *source) {
	m := src.measurement
	switch {
	case m != nil && m.Script != "":
		r.EfficiencyTest = []string{m.Script}
	case m != nil && m.Command != "":
		r.EfficiencyTest = []string{m.Command}
	case src.script != "":
		r.EfficiencyTest = []string{src.script}
	}
	switch {
	case m != nil && m.Test != "":
		r.TestKind = str(m.Test)
	case src.generated:
		r.TestKind = str("generated")
	}
	if m != nil {
		r.BenchmarkCommand = str(m.Command)
		r.BenchmarkModel = benchmarkModel(m.Command)
		if m.Server != nil {
			r.ServerCommand = str(m.Server.Command)
			if r.BenchmarkModel == nil {
				r.BenchmarkModel = benchmarkModel(m.Server.Command)
			}
		}
	}
	if r.TestKind != nil {
		r.BenchmarkMode = benchmarkMode(*r.TestKind, deref(r.BenchmarkCommand))
		if r.ServerCommand != nil {
			r.BenchmarkMode = str("serving")
		}
	}
}

// setPerformance copies the samples and statistics, dropping NaN and infinities to null.
func setPerformance(r *Record, m *artifact.Measurement) {
	r.Metric, r.Unit, r.Direction = str(m.Metric), str(m.Unit), str(m.Direction)
	r.BasePerformance = values(m.BaseValues, m.Samples, artifact.Base)
	r.HeadPerformance = values(m.HeadValues, m.Samples, artifact.Head)
	r.BaseMedian = finitePtr(m.Stats.BaseMedian)
	r.HeadMedian = finitePtr(m.Stats.HeadMedian)
	r.Speedup, r.CILow, r.CIHigh, r.PValue, r.PTest = comparison(m.Stats)
	if r.CILow != nil && m.Stats.Confidence > 0 {
		r.CILevel = finite(m.Stats.Confidence)
	}
	r.PerformanceImprovement = improvement(r.BaseMedian, r.HeadMedian, m.Direction)
}

// values are a side's measured samples. A measurement that stopped early (the test failed at
// head) may not have filled BaseValues; its samples still hold what ran.
func values(vals []float64, samples []artifact.Sample, side artifact.Side) []*float64 {
	if vals != nil {
		out := make([]*float64, len(vals))
		for i, v := range vals {
			out[i] = finite(v)
		}
		return out
	}
	var out []*float64
	for _, s := range samples {
		if s.Side == side && !s.Warmup {
			out = append(out, finitePtr(s.Value))
		}
	}
	return out
}

// improvement is the change of the median in percent, positive when head is better: the
// upstream convention, (base-head)/base for lower-is-better metrics such as latency and
// (head-base)/base for higher-is-better ones such as throughput.
func improvement(base, head *float64, direction string) *float64 {
	if base == nil || head == nil || *base == 0 {
		return nil
	}
	switch direction {
	case "lower":
		return finite((*base - *head) / *base * 100)
	case "higher":
		return finite((*head - *base) / *base * 100)
	}
	return nil
}

func generationConfig(g *artifact.Generation) *GenerationConfig {
	c := &GenerationConfig{
		Generator: g.Generator,
		Endpoint:  g.Endpoint,
		Model:     g.Model,
		Params:    make([]Param, 0, len(g.Params)),
		Sample:    int64(g.Sample),
		PromptCut: g.PromptCut,
		Attempts:  int64(len(g.Attempts)),
	}
	for name, value := range g.Params {
		c.Params = append(c.Params, Param{Name: name, Value: value})
	}
	sort.Slice(c.Params, func(i, j int) bool { return c.Params[i].Name < c.Params[j].Name })
	for _, a := range g.Attempts {
		c.PromptTokens += int64(a.PromptTokens)
		c.OutputTokens += int64(a.OutputTokens)
		if a.ServedModel != "" {
			c.ServedModel = str(a.ServedModel)
		}
	}
	return c
}

func hardware(h *artifact.Hardware) *Hardware {
	if h.Class == "" && h.CPUModel == "" && h.CPUCount == 0 && h.GPUCount == 0 {
		return nil // the measurement never got as far as probing
	}
	out := &Hardware{
		Class:      h.Class,
		CPUModel:   h.CPUModel,
		CPUCount:   int64(h.CPUCount),
		GPUCount:   int64(h.GPUCount),
		GPUName:    str(h.GPUName),
		ComputeCap: str(h.ComputeCap),
		Driver:     str(h.Driver),
		CUDA:       str(h.CUDA),
	}
	if h.GPUMemMiB != 0 {
		mem := int64(h.GPUMemMiB)
		out.GPUMemMiB = &mem
	}
	if len(h.GPUUUIDs) > 0 {
		out.GPUUUIDs = append([]string{}, h.GPUUUIDs...)
	}
	return out
}

// telemetry summarises every GPU reading of the measurement, of every GPU held, warmups
// included (they heat the device as much as any sample); throttled_samples counts measured
// samples only, since those are the ones whose values a slowdown skews, and so do
// low_clock_samples and the median of the runs' median SM clocks.
func telemetry(samples []artifact.Sample) *GPUTelemetry {
	t := &GPUTelemetry{ThrottleReasons: []string{}}
	reasons := map[string]bool{}
	var power, powerMax, limit float64
	powered := 0
	var medians []int64
	for _, s := range samples {
		if !s.Warmup {
			if s.Throttled {
				t.ThrottledSamples++
			}
			if slices.Contains(s.Flags, artifact.FlagLowClock) {
				t.LowClockSamples++
			}
			for _, g := range s.GPUs {
				medians = append(medians, int64(g.SMClockMedMHz))
			}
		}
		readings := []*artifact.GPUState{s.Before, s.After}
		for i := range s.OthersBefore {
			readings = append(readings, &s.OthersBefore[i])
		}
		for i := range s.OthersAfter {
			readings = append(readings, &s.OthersAfter[i])
		}
		for _, st := range readings {
			if st == nil {
				continue
			}
			sm, mem := int64(st.SMClockMHz), int64(st.MemClockMHz)
			if t.Readings == 0 || sm < t.SMClockMinMHz {
				t.SMClockMinMHz = sm
			}
			if t.Readings == 0 || mem < t.MemClockMinMHz {
				t.MemClockMinMHz = mem
			}
			t.SMClockMaxMHz = max(t.SMClockMaxMHz, sm)
			t.MemClockMaxMHz = max(t.MemClockMaxMHz, mem)
			t.TemperatureMaxC = max(t.TemperatureMaxC, int64(st.TemperatureC))
			if finite(st.PowerW) != nil { // a NaN reading would poison the sum and max
				power += st.PowerW
				powerMax = max(powerMax, st.PowerW)
				powered++
			}
			if finite(st.PowerLimitW) != nil {
				limit = max(limit, st.PowerLimitW)
			}
			for _, r := range st.ThrottleReasons {
				reasons[r] = true
			}
			t.Readings++
		}
	}
	if t.Readings == 0 {
		return nil
	}
	if len(medians) > 0 {
		slices.Sort(medians)
		mid := medians[len(medians)/2]
		t.SMClockRunMedianMHz = &mid
	}
	if powered > 0 {
		t.PowerMeanW = finite(power / float64(powered))
		t.PowerMaxW = finite(powerMax)
	}
	if limit > 0 {
		t.PowerLimitW = finite(limit)
	}
	for r := range reasons {
		t.ThrottleReasons = append(t.ThrottleReasons, r)
	}
	sort.Strings(t.ThrottleReasons)
	return t
}

// environment names the two environments by lock digest, from the environment actions'
// outputs, else from what the measurement recorded.
func environment(envs map[artifact.Side]*artifact.Environment, m *artifact.Measurement) *Environment {
	e := &Environment{}
	if b := envs[artifact.Base]; b != nil {
		e.BaseLockDigest, e.BasePython, e.Installer = str(b.LockDigest), str(b.PythonVersion), str(b.Installer)
		e.BasePackages, e.BaseSpec = lockPackages(b.Lock), envSpec(b)
		e.BaseVersion = projectVersion(b, e.BasePackages)
	}
	if h := envs[artifact.Head]; h != nil {
		e.HeadLockDigest, e.HeadPython = str(h.LockDigest), str(h.PythonVersion)
		if h.Installer != "" {
			e.Installer = str(h.Installer)
		}
		e.HeadPackages, e.HeadSpec = lockPackages(h.Lock), envSpec(h)
		e.HeadVersion = projectVersion(h, e.HeadPackages)
		e.Torch, e.CUDA = versionOf(e.HeadPackages, "torch"), cudaOf(e.HeadPackages)
	}
	if m != nil {
		if e.BaseLockDigest == nil {
			e.BaseLockDigest = str(m.BaseLock)
		}
		if e.HeadLockDigest == nil {
			e.HeadLockDigest = str(m.HeadLock)
		}
	}
	if e.BaseLockDigest == nil && e.HeadLockDigest == nil && e.BasePython == nil && e.HeadPython == nil && e.Installer == nil {
		return nil
	}
	return e
}
