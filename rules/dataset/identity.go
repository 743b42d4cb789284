package dataset

import (
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/isobench/isobench/rules/artifact"
)

// The fields that let a researcher find a record's change elsewhere and rebuild its
// environment, in the forms the public datasets of this field use (SWE-bench, GSO,
// SWE-Perf, ISO-Bench): instance_id, repo as owner/name, the pull request, the diff split
// into patch and test_patch, what the environments held and were asked for, and how the
// benchmark ran.

// instanceID is SWE-bench's form, owner__name-<short head>, for a forge repository; else the
// repository's base name stands for owner__name. uniqueInstanceIDs disambiguates records
// of one commit.
func instanceID(f *artifact.CommitFacts) *string {
	if f == nil || len(f.Head) < 7 {
		return nil
	}
	short := f.Head[:7]
	if repo, ok := f.ForgeRepo(); ok {
		return str(strings.ReplaceAll(repo, "/", "__") + "-" + short)
	}
	base := strings.TrimSuffix(strings.TrimSuffix(path.Base(strings.TrimRight(strings.ReplaceAll(f.RepoURL, "\\", "/"), "/")), ".git"), ".bundle")
	if base == "" || base == "." || base == "/" {
		base = "repo"
	}
	return str(base + "-" + short)
}

// uniqueInstanceIDs appends the benchmark's name to the instance_id of every record that
// shares it with another (several benchmarks, or generated samples, of one commit), so that
// instance_id is a key of the dataset.
func uniqueInstanceIDs(records []Record) {
	count := map[string]int{}
	for i := range records {
		if id := records[i].InstanceID; id != nil {
			count[*id]++
		}
	}
	for i := range records {
		r := &records[i]
		if r.InstanceID == nil || count[*r.InstanceID] < 2 {
			continue
		}
		name := r.Benchmark
		if _, n, ok := strings.Cut(name, ":"); ok {
			name = n
		}
		r.InstanceID = str(*r.InstanceID + "-" + name)
	}
}

// isTestPath says whether a changed file belongs in test_patch, by SWE-bench's convention: a
// file under a test directory, or named as a test.
func isTestPath(p string) bool {
	dir, base := path.Split(p)
	for _, seg := range strings.Split(strings.Trim(dir, "/"), "/") {
		switch seg {
		case "test", "tests", "testing", "e2e":
			return true
		}
	}
	stem := strings.TrimSuffix(base, path.Ext(base))
	return strings.HasPrefix(base, "test_") || strings.HasSuffix(stem, "_test") || base == "conftest.py"
}

// splitPatch splits a unified diff (git diff output) into the changes to code and to tests.
func splitPatch(diff string) (patch, testPatch string) {
	var code, tests strings.Builder
	for _, section := range diffSections(diff) {
		if isTestPath(sectionPath(section)) {
			tests.WriteString(section)
		} else {
			code.WriteString(section)
		}
	}
	return code.String(), tests.String()
}

// diffSections cuts a diff before each "diff --git" line; text before the first belongs to
// the first section.
func diffSections(diff string) []string {
	var out []string
	start := 0
	for i := 0; i < len(diff); {
		j := strings.Index(diff[i:], "\ndiff --git ")
		if j < 0 {
			break
		}
		cut := i + j + 1
		if cut > start {
			out = append(out, diff[start:cut])
		}
		start, i = cut, cut
	}
	if start < len(diff) {
		out = append(out, diff[start:])
	}
	return out
}

// sectionPath is the file a diff section changes: the b/ side of its header (the a/ side for
// a deletion reads the same).
func sectionPath(section string) string {
	header, _, _ := strings.Cut(section, "\n")
	header = strings.TrimPrefix(header, "diff --git ")
	if i := strings.LastIndex(header, " b/"); i >= 0 {
		return header[i+3:]
	}
	return strings.TrimPrefix(header, "a/")
}

// modelFlag finds the model a benchmark command names (--model X or --model=X, as vLLM's
// scripts and `vllm bench` take it).
var modelFlag = regexp.MustCompile(`(?:^|\s)--model(?:=|\s+)("[^"]+"|'[^']+'|\S+)`)

// benchmarkModel is the model a command names, nil when it names none.
func benchmarkModel(command string) *string {
	m := modelFlag.FindStringSubmatch(command)
	if m == nil {
		return nil
	}
	return str(strings.Trim(m[1], `"'`))
}

// benchmarkMode names how vLLM-style benchmarks run, as the ISO-Bench data does: serving,
// throughput or latency from the script or `vllm bench` subcommand a command runs; a Python
// test script is "script"; nil when the command says nothing known.
func benchmarkMode(test, command string) *string {
	for _, mode := range []string{"serving", "throughput", "latency"} {
		short := strings.TrimSuffix(mode, "ing") // "serv"
		if mode == "serving" {
			short = "serve"
		}
		if strings.Contains(command, "benchmark_"+mode) || strings.Contains(command, "bench "+short) || strings.Contains(command, "bench "+mode) {
			return str(mode)
		}
	}
	if test == "script" || test == "generated" {
		return str("script")
	}
	return nil
}

// freezeLine reads "name==version" from pip freeze; a direct reference ("name @ url") keeps
// its URL as the version.
var freezeLine = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==\s*(\S+)|@\s*(\S+))`)

// lockPackages lists an environment's installed distributions from its pip freeze, sorted by
// name (a list, not a map: Arrow maps are poorly supported by the datasets library).
func lockPackages(lock string) []Package {
	var out []Package
	for _, line := range strings.Split(lock, "\n") {
		m := freezeLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		v := m[2]
		if v == "" {
			v = m[3]
		}
		out = append(out, Package{Name: normalize(m[1]), Version: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var separators = regexp.MustCompile(`[-_.]+`)

// normalize is PEP 503's name normalization.
func normalize(name string) string { return strings.ToLower(separators.ReplaceAllString(name, "-")) }

// versionOf finds a package's version in a list.
func versionOf(pkgs []Package, name string) *string {
	for _, p := range pkgs {
		if p.Name == name {
			return str(p.Version)
		}
	}
	return nil
}

// cudaOf reads the CUDA version PyTorch was built for from its local version ("2.5.1+cu124"
// -> "12.4"), else from the CUDA runtime wheel PyTorch depends on
// (nvidia-cuda-runtime-cu12 12.4.127 -> "12.4"); nil for a CPU build or no torch.
func cudaOf(pkgs []Package) *string {
	if t := versionOf(pkgs, "torch"); t != nil {
		if _, local, ok := strings.Cut(*t, "+cu"); ok && len(local) >= 3 {
			return str(local[:len(local)-1] + "." + local[len(local)-1:])
		}
	}
	for _, p := range pkgs {
		if strings.HasPrefix(p.Name, "nvidia-cuda-runtime-cu") {
			parts := strings.SplitN(p.Version, ".", 3)
			if len(parts) >= 2 {
				return str(parts[0] + "." + parts[1])
			}
		}
	}
	return nil
}

// envSpec is what one side's environment was asked for and resolved to.
func envSpec(e *artifact.Environment) *EnvSpec {
	if e == nil || e.Spec == nil && len(e.Resolved) == 0 {
		return nil
	}
	s := &EnvSpec{ExtraIndexURL: []string{}, WheelURL: []string{}, Packages: []string{}, Resolved: []ResolvedWheel{}}
	if sp := e.Spec; sp != nil {
		s.IndexURL, s.TorchBackend, s.ResolveAsOf, s.Install = str(sp.IndexURL), str(sp.TorchBackend), str(sp.ResolveAsOf), str(sp.Install)
		s.ExtraIndexURL = append(s.ExtraIndexURL, sp.ExtraIndexURL...)
		s.WheelURL = append(s.WheelURL, sp.WheelURL...)
		s.Packages = append(s.Packages, sp.Packages...)
	}
	for _, f := range e.Resolved {
		s.Resolved = append(s.Resolved, ResolvedWheel{Package: f.Package, Version: str(f.Version), URL: f.URL, SHA256: str(f.SHA256)})
	}
	return s
}

// projectVersion is the installed version of the commit's project: the first package the
// environment names (its convention for the project), as installed.
func projectVersion(e *artifact.Environment, pkgs []Package) *string {
	if e.Spec == nil || len(e.Spec.Packages) == 0 {
		return nil
	}
	name := e.Spec.Packages[0]
	if i := strings.IndexAny(name, " <>=!~;[@"); i >= 0 {
		name = name[:i]
	}
	name = normalize(name)
	if v, ok := e.Installed[name]; ok {
		return str(v)
	}
	return versionOf(pkgs, name)
}
