package environment

import (
	"fmt"
	"strconv"
	"strings"
)

// A wheel says where it runs in its file name: "vllm-0.6.3-cp38-abi3-manylinux1_x86_64.whl"
// runs on any CPython from 3.8 with the stable ABI, on Linux with glibc 2.5 or later. The
// preflight computes the tags an interpreter accepts, in pip's order of preference, the way
// the `packaging` library's sys_tags does for CPython, so it picks the file pip would pick.

// wheelFile is a parsed wheel file name (PEP 427).
type wheelFile struct {
	Name    string // normalized
	Version string
	Build   string
	Tags    []string // every "python-abi-platform" triple the name expands to
}

func parseWheelName(filename string) (wheelFile, error) {
	base, ok := strings.CutSuffix(filename, ".whl")
	if !ok {
		return wheelFile{}, fmt.Errorf("%s is not a wheel", filename)
	}
	parts := strings.Split(base, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return wheelFile{}, fmt.Errorf("%s is not a wheel file name (name-version[-build]-python-abi-platform.whl)", filename)
	}
	w := wheelFile{Name: normalizeName(parts[0]), Version: parts[1]}
	if len(parts) == 6 {
		w.Build = parts[2]
	}
	n := len(parts)
	for _, py := range strings.Split(parts[n-3], ".") {
		for _, abi := range strings.Split(parts[n-2], ".") {
			for _, plat := range strings.Split(parts[n-1], ".") {
				w.Tags = append(w.Tags, strings.ToLower(py+"-"+abi+"-"+plat))
			}
		}
	}
	return w, nil
}

// tagRanks maps each tag the interpreter accepts to its rank: lower is preferred.
type tagRanks map[string]int

// rank returns the best rank among a wheel's tags, or -1 when none is supported.
func (t tagRanks) rank(w wheelFile) int {
	best := -1
	for _, tag := range w.Tags {
		if r, ok := t[tag]; ok && (best < 0 || r < best) {
			best = r
		}
	}
	return best
}

// supportedTags lists the tags a CPython interpreter accepts, most preferred first. Other
// implementations (PyPy) get their interpreter tag and the pure-Python tags.
func supportedTags(py *pythonInfo) []string {
	major, minor := py.Major, py.Minor
	plats := platformTags(py)
	interp := interpreterTag(py)
	var tags []string
	add := func(py, abi string, plats []string) {
		for _, p := range plats {
			tags = append(tags, py+"-"+abi+"-"+p)
		}
	}
	if py.Implementation == "cpython" {
		abi := interp
		if py.SOABI != "" && strings.HasPrefix(py.SOABI, "cpython-") {
			// cpython-311-x86_64-linux-gnu -> cp311; a debug or free-threaded build adds a letter.
			abi = "cp" + strings.SplitN(strings.TrimPrefix(py.SOABI, "cpython-"), "-", 2)[0]
		}
		add(interp, abi, plats)
		add(interp, "abi3", plats)
		add(interp, "none", plats)
		for m := minor - 1; m >= 2 && major == 3; m-- {
			add(fmt.Sprintf("cp3%d", m), "abi3", plats)
		}
	} else {
		add(interp, "none", plats)
	}
	// Pure-Python wheels built for this version or older, for this platform, then for any.
	pyVersions := []string{fmt.Sprintf("py%d%d", major, minor), fmt.Sprintf("py%d", major)}
	for m := minor - 1; m >= 0; m-- {
		pyVersions = append(pyVersions, fmt.Sprintf("py%d%d", major, m))
	}
	for _, v := range pyVersions {
		add(v, "none", plats)
	}
	add(interp, "none", []string{"any"})
	for _, v := range pyVersions {
		add(v, "none", []string{"any"})
	}
	return tags
}

func rankTags(tags []string) tagRanks {
	r := tagRanks{}
	for i, t := range tags {
		if _, ok := r[t]; !ok {
			r[t] = i
		}
	}
	return r
}

func interpreterTag(py *pythonInfo) string {
	short := map[string]string{"cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}[py.Implementation]
	if short == "" {
		short = py.Implementation
	}
	return fmt.Sprintf("%s%d%d", short, py.Major, py.Minor)
}

// legacyManylinux names the glibc versions of the manylinux tags that came before PEP 600.
var legacyManylinux = map[int]string{17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}

// platformTags lists the platform tags, most specific first. On Linux with glibc 2.N that is
// manylinux_2_N down to the oldest manylinux for the architecture, then linux_<arch>.
// Elsewhere only the interpreter's own platform tag is known; a wheel for an older macOS, say,
// is then not recognized by the preflight (pip would take it).
func platformTags(py *pythonInfo) []string {
	plat := strings.NewReplacer("-", "_", ".", "_", " ", "_").Replace(py.Platform)
	arch, isLinux := strings.CutPrefix(plat, "linux_")
	if !isLinux {
		return []string{plat}
	}
	if arch == "x86_64" && !py.Is64Bit {
		arch = "i686" // a 32-bit interpreter on a 64-bit kernel
	}
	var tags []string
	if glibcMajor, glibcMinor, ok := parseGlibc(py.Libc); ok && glibcMajor == 2 {
		// Tags older than these were never defined for the architecture.
		oldest := 17
		if arch == "x86_64" || arch == "i686" {
			oldest = 5
		}
		for m := glibcMinor; m >= oldest; m-- {
			tags = append(tags, fmt.Sprintf("manylinux_2_%d_%s", m, arch))
			if legacy, ok := legacyManylinux[m]; ok {
				tags = append(tags, legacy+"_"+arch)
			}
		}
	}
	return append(tags, "linux_"+arch)
}

// parseGlibc reads os.confstr("CS_GNU_LIBC_VERSION"): "glibc 2.36".
func parseGlibc(s string) (major, minor int, ok bool) {
	v, found := strings.CutPrefix(s, "glibc ")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(v, ".")
	if !found {
		return 0, 0, false
	}
	// Some distributions append text: "2.28-stable".
	b = strings.TrimRightFunc(b, func(r rune) bool { return r < '0' || r > '9' })
	if i := strings.IndexFunc(b, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		b = b[:i]
	}
	major, err1 := strconv.Atoi(a)
	minor, err2 := strconv.Atoi(b)
	return major, minor, err1 == nil && err2 == nil
}
