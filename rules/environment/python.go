package environment

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/isobench/isobench/engine"
)

// Finding the interpreter is a local probe: Prepare needs its exact version and platform for
// the key, in `status` as well as in `build`. Each probe starts Python once (about 50 ms), and
// a build with a thousand environments asks for the same one a thousand times, so results are
// kept for the life of the process.

// pythonInfo is what a probe learns about an interpreter.
type pythonInfo struct {
	Exe            string `json:"exe"`       // the interpreter itself (sys.executable), not a shim in front of it
	Version        string `json:"version"`   // exact: "3.11.7"
	Implementation string `json:"impl"`      // "cpython", "pypy"
	Platform       string `json:"platform"`  // sysconfig.get_platform(): "linux-x86_64"
	Libc           string `json:"libc"`      // "glibc 2.36", "" elsewhere
	SOABI          string `json:"soabi"`     // "cpython-311-x86_64-linux-gnu"
	Is64Bit        bool   `json:"is64"`      //
	Venv           bool   `json:"venv"`      // the venv module is there
	Ensurepip      string `json:"ensurepip"` // version of the pip that venv would install, "" when none
	Pip            string `json:"pip"`       // version of the interpreter's own pip, "" when none
	Major, Minor   int    `json:"-"`
}

// probeScript prints a pythonInfo. It imports nothing heavy and writes nothing.
const probeScript = `import json, os, platform, sys, sysconfig
info = {"version": platform.python_version(), "impl": sys.implementation.name, "exe": sys.executable,
        "platform": sysconfig.get_platform(), "soabi": sysconfig.get_config_var("SOABI") or "",
        "is64": sys.maxsize > 2**32, "libc": "", "venv": False, "ensurepip": "", "pip": ""}
try:
    info["libc"] = os.confstr("CS_GNU_LIBC_VERSION") or ""
except (AttributeError, ValueError, OSError):
    pass
try:
    import venv
    info["venv"] = True
except ImportError:
    pass
try:
    import ensurepip
    info["ensurepip"] = ensurepip.version()
except Exception:
    pass
try:
    from importlib import metadata
    info["pip"] = metadata.version("pip")
except Exception:
    pass
print(json.dumps(info))
`

// probeTimeout bounds one probe. A healthy interpreter answers in well under a second; a
// pyenv shim for a version that is not selected fails at once; something that hangs is not
// an interpreter we want.
const probeTimeout = 20 * time.Second

// probes memoizes probes by executable path and findings by request.
var probes = struct {
	sync.Mutex
	byExe     map[string]*probeResult
	byAsk     map[string]*probeResult
	installed map[string]*probeResult // request -> `uv python install` and what it found
	version   map[string]string       // tool path -> version (uv)
}{byExe: map[string]*probeResult{}, byAsk: map[string]*probeResult{}, installed: map[string]*probeResult{}, version: map[string]string{}}

type probeResult struct {
	once  sync.Once
	info  *pythonInfo
	where string // for a request: where it was looked for, when not found
	err   error
}

// probeFor is the entry for key in one of probes' maps, made when it is missing.
func probeFor(m *map[string]*probeResult, key string) *probeResult {
	probes.Lock()
	defer probes.Unlock()
	r := (*m)[key]
	if r == nil {
		r = &probeResult{}
		(*m)[key] = r
	}
	return r
}

// probe runs the probe script with exe, once per process.
func probe(ctx context.Context, exe string) (*pythonInfo, error) {
	r := probeFor(&probes.byExe, exe)
	r.once.Do(func() { r.info, r.err = runProbe(ctx, exe) })
	return r.info, r.err
}

func runProbe(ctx context.Context, exe string) (*pythonInfo, error) {
	res, err := engine.RunCommand(ctx, engine.Command{Path: exe, Args: []string{"-I", "-c", probeScript},
		Env: probeEnv(), Timeout: probeTimeout, MaxOutput: 64 << 10})
	if err != nil {
		return nil, fmt.Errorf("cannot run %s: %w", exe, err)
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("%s exited with status %d: %s", exe, res.ExitCode, lastLine(res.Output()))
	}
	var info pythonInfo
	if err := json.Unmarshal(res.Stdout, &info); err != nil {
		return nil, fmt.Errorf("%s answered the probe with %q", exe, lastLine(res.Output()))
	}
	// A pyenv shim is a shell script that finds the interpreter anew on every start (a
	// fraction of a second each time) and may find another one tomorrow: use what it found.
	if info.Exe == "" {
		info.Exe = exe
	}
	parts := strings.Split(info.Version, ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("%s reported the version %q", exe, info.Version)
	}
	info.Major, _ = strconv.Atoi(parts[0])
	info.Minor, _ = strconv.Atoi(parts[1])
	return &info, nil
}

// probeEnv is the caller's environment without what would make an interpreter other than
// the one probed answer (PYTHONHOME, PYTHONPATH, an activated virtual environment).
func probeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONUSERBASE":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// findPython returns the first interpreter that satisfies one of the requests, in order.
// A request is a version ("3.11" or "3.11.7") or a path to an executable.
func findPython(ctx context.Context, requests []string) (*pythonInfo, error) {
	var looked []string
	for _, req := range requests {
		info, where, err := findOne(ctx, req)
		if err == nil {
			return info, nil
		}
		looked = append(looked, fmt.Sprintf("%s (%s)", req, where))
	}
	return nil, engine.Fail("python_missing", "No Python interpreter matches %s: looked for %s. Install one (pyenv install, uv python install) or change `python`.",
		strings.Join(requests, " or "), strings.Join(looked, "; "))
}

// findOrInstallPython is findPython, and when it finds none and install is set, asks uv to
// install the requests that are versions, in order, and looks again. It runs only while
// building: a status never downloads an interpreter.
func findOrInstallPython(ctx context.Context, requests []string, install bool) (*pythonInfo, error) {
	info, err := findPython(ctx, requests)
	if err == nil || !install {
		return info, err
	}
	uv, lookErr := exec.LookPath("uv")
	if lookErr != nil {
		return nil, engine.Fail("python_missing", "%s; python_install = true needs uv on PATH to install it (https://docs.astral.sh/uv/).", strings.TrimSuffix(err.Error(), "."))
	}
	var failures []string
	for _, req := range requests {
		if strings.ContainsRune(req, filepath.Separator) {
			continue // a path names an interpreter; there is nothing to install
		}
		if info, err := installPython(ctx, uv, req); err == nil {
			return info, nil
		} else {
			failures = append(failures, err.Error())
		}
	}
	return nil, engine.Fail("python_missing", "No Python interpreter matches %s, and uv could not install one: %s.",
		strings.Join(requests, " or "), strings.Join(failures, "; "))
}

// pythonInstallTimeout bounds `uv python install`: a download of about 30 MB, unpacked.
const pythonInstallTimeout = 10 * time.Minute

// installPython runs `uv python install req` once per process and finds the result.
func installPython(ctx context.Context, uv, req string) (*pythonInfo, error) {
	r := probeFor(&probes.installed, req)
	r.once.Do(func() {
		res, err := engine.RunCommand(ctx, engine.Command{Path: uv, Args: []string{"python", "install", req},
			Env: probeEnv(), Timeout: pythonInstallTimeout, MaxOutput: 1 << 20})
		switch {
		case err != nil:
			r.err = fmt.Errorf("uv python install %s: %w", req, err)
			return
		case res.ExitCode != 0:
			r.err = fmt.Errorf("uv python install %s failed: %s", req, lastLine(res.Output()))
			return
		}
		// What was learned before the install no longer holds for this request.
		probes.Lock()
		delete(probes.byAsk, req)
		probes.Unlock()
		r.info, _, r.err = findOne(ctx, req)
	})
	return r.info, r.err
}

func findOne(ctx context.Context, req string) (*pythonInfo, string, error) {
	r := probeFor(&probes.byAsk, req)
	r.once.Do(func() { r.info, r.where, r.err = search(ctx, req) })
	return r.info, r.where, r.err
}

// search tries, in order: the executable named, python3.X then python3 and python on PATH,
// pyenv's versions, and `uv python find`. A candidate counts only when its probe succeeds and
// its version matches: a pyenv shim for a version that is not selected fails its probe.
func search(ctx context.Context, req string) (*pythonInfo, string, error) {
	if strings.ContainsRune(req, filepath.Separator) {
		info, err := probe(ctx, req)
		if err != nil {
			return nil, err.Error(), err
		}
		return info, "", nil
	}
	want, err := parseVersion(req)
	if err != nil || want.pre != nil || want.dev >= 0 || want.local != nil || want.post >= 0 || want.epoch != 0 {
		err := fmt.Errorf("%q is not a Python version such as \"3.11\" or a path to an interpreter", req)
		return nil, err.Error(), err
	}
	matches := func(info *pythonInfo) bool {
		got := strings.Split(info.Version, ".")
		for i, n := range want.release {
			if i >= len(got) || got[i] != strconv.Itoa(n) {
				return false
			}
		}
		return true
	}
	var tried []string
	try := func(exe string) *pythonInfo {
		if exe == "" || slices.Contains(tried, exe) {
			return nil
		}
		tried = append(tried, exe)
		info, err := probe(ctx, exe)
		if err != nil || !matches(info) {
			return nil
		}
		return info
	}
	names := []string{fmt.Sprintf("python%d", want.release[0]), "python"}
	majorMinor := ""
	if len(want.release) >= 2 {
		majorMinor = fmt.Sprintf("%d.%d", want.release[0], want.release[1])
		names = append([]string{"python" + majorMinor}, names...)
	}
	for _, name := range names {
		if exe, err := exec.LookPath(name); err == nil {
			if info := try(exe); info != nil {
				return info, "", nil
			}
		}
	}
	for _, exe := range pyenvCandidates(majorMinor) {
		if info := try(exe); info != nil {
			return info, "", nil
		}
	}
	if uv, err := exec.LookPath("uv"); err == nil {
		res, err := engine.RunCommand(ctx, engine.Command{Path: uv, Args: []string{"python", "find", req},
			Env: probeEnv(), Timeout: probeTimeout, MaxOutput: 64 << 10})
		if err == nil && res.ExitCode == 0 {
			if info := try(strings.TrimSpace(string(res.Stdout))); info != nil {
				return info, "", nil
			}
		}
	}
	where := "PATH, pyenv"
	if _, err := exec.LookPath("uv"); err == nil {
		where += ", uv"
	}
	return nil, "searched " + where, fmt.Errorf("no Python %s found", req)
}

// pyenvCandidates lists the interpreters pyenv installed for a major.minor, newest first.
func pyenvCandidates(majorMinor string) []string {
	if majorMinor == "" {
		return nil
	}
	root := os.Getenv("PYENV_ROOT")
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil
		}
		root = filepath.Join(home, ".pyenv")
	}
	ents, err := os.ReadDir(filepath.Join(root, "versions"))
	if err != nil {
		return nil
	}
	var versions []pyVersion
	names := map[string]string{}
	for _, e := range ents {
		name := e.Name()
		if name != majorMinor && !strings.HasPrefix(name, majorMinor+".") {
			continue
		}
		v, err := parseVersion(name)
		if err != nil || v.String() != name {
			continue // "3.11-dev", "3.13.0t": not a plain release
		}
		versions = append(versions, v)
		names[v.String()] = name
	}
	slices.SortFunc(versions, func(a, b pyVersion) int { return b.compare(a) })
	var exes []string
	for _, v := range versions {
		exes = append(exes, filepath.Join(root, "versions", names[v.String()], "bin", "python"+majorMinor))
	}
	return exes
}

// toolVersion runs `tool --version` once per process and returns its second word
// ("uv 0.9.2 (4c4c8d1 2025-10-01)" -> "0.9.2").
func toolVersion(ctx context.Context, tool string) (string, error) {
	probes.Lock()
	v, ok := probes.version[tool]
	probes.Unlock()
	if ok {
		return v, nil
	}
	res, err := engine.RunCommand(ctx, engine.Command{Path: tool, Args: []string{"--version"}, Env: probeEnv(),
		Timeout: probeTimeout, MaxOutput: 64 << 10})
	if err != nil {
		return "", err
	}
	fields := strings.Fields(string(res.Stdout))
	if res.ExitCode != 0 || len(fields) < 2 {
		return "", fmt.Errorf("%s --version answered %q", tool, lastLine(res.Output()))
	}
	probes.Lock()
	probes.version[tool] = fields[1]
	probes.Unlock()
	return fields[1], nil
}

// lastLine is the last non-empty line of an output, for one-line messages.
func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
