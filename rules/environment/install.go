package environment

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// installer is the tool that makes and fills an environment: uv when it is on PATH (or
// asked for), else the standard library's venv and pip.
//
// With pip, the environment is created without pip (`python -m venv --without-pip`, half a
// second instead of seven) and filled by the interpreter's own pip through `pip --python`
// (pip 22.3 and later), the way uv fills an environment from outside. Only when the base
// interpreter has no such pip does the environment get its own, from ensurepip ("seeded").
// Either way the pip that installs is the one whose version enters the key.
type installer struct {
	Name    InstallerName // InstallerUV or InstallerPip
	Version string
	Exe     string // uv, or the base interpreter for pip
	Seeded  bool   // pip runs inside the environment
}

// String is how the installer appears in keys and in artifact.Environment.
func (i *installer) String() string {
	s := string(i.Name) + " " + i.Version
	if i.Seeded {
		s += " (seeded)"
	}
	return s
}

// chooseInstaller picks the installer and learns its version: local probes, memoized.
func chooseInstaller(ctx context.Context, forced InstallerName, py *pythonInfo) (*installer, error) {
	uv, uvErr := exec.LookPath("uv")
	if forced == InstallerUV || forced == InstallerDefault && uvErr == nil {
		if uvErr != nil {
			return nil, engine.Fail("installer_missing", "installer = \"uv\" is set, but uv is not on PATH: install it (https://docs.astral.sh/uv/) or remove the setting to use pip.")
		}
		v, err := toolVersion(ctx, uv)
		if err != nil {
			return nil, engine.Fail("installer_missing", "uv at %s does not answer --version: %s.", uv, err)
		}
		return &installer{Name: InstallerUV, Version: v, Exe: uv}, nil
	}
	if !py.Venv {
		return nil, engine.Fail("python_missing", "Python %s at %s has no venv module, so it cannot make environments (on Debian and Ubuntu, install python%d.%d-venv).",
			py.Version, py.Exe, py.Major, py.Minor)
	}
	if atLeast(py.Pip, 22, 3) {
		return &installer{Name: InstallerPip, Version: py.Pip, Exe: py.Exe}, nil
	}
	if py.Ensurepip != "" {
		return &installer{Name: InstallerPip, Version: py.Ensurepip, Exe: py.Exe, Seeded: true}, nil
	}
	return nil, engine.Fail("python_missing", "Python %s at %s has neither pip 22.3 or later nor ensurepip, so pip cannot install into an environment: install pip, or uv.",
		py.Version, py.Exe)
}

// atLeast compares a dotted version with major.minor.
func atLeast(v string, major, minor int) bool {
	pv, err := parseVersion(v)
	if err != nil {
		return false
	}
	return pv.compare(pyVersion{release: []int{major, minor}, post: -1, dev: -1}) >= 0
}

// installEnv is the environment installers run with: the variables of the caller's that say
// how to build and fetch (installerEnvVars: paths, compilers, CUDA, proxies, certificates,
// caches), minus everything that would change what gets installed without entering the key
// (pip and uv configuration files, PIP_INDEX_URL, PIP_FIND_LINKS and the like, an activated
// virtual environment, PYTHONPATH), plus the declared secrets and the target's env. Nothing
// else of the user's reaches a package's build script: an API key in isobench's environment
// stays there unless the target names it in secrets.
func installEnv(user, secrets map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case secrets[k] != "":
			continue // added below
		case (strings.HasPrefix(k, "PIP_") || strings.HasPrefix(k, "UV_")) && !keptInstallerVars[k]:
			continue
		case k == "VIRTUAL_ENV" || k == "CONDA_PREFIX" || k == "PYTHONPATH" || k == "PYTHONHOME" || k == "PYTHONUSERBASE":
			continue
		case !installerEnvVar(k):
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PIP_CONFIG_FILE="+os.DevNull, "UV_NO_CONFIG=1", "PIP_NO_INPUT=1",
		"PIP_DISABLE_PIP_VERSION_CHECK=1", "NO_COLOR=1", "PYTHONNOUSERSITE=1")
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		env = append(env, k+"="+secrets[k])
	}
	for _, k := range slices.Sorted(maps.Keys(user)) {
		env = append(env, k+"="+user[k])
	}
	return env
}

// installerEnvVars are the user's variables an installer may need: where things are, how
// to compile (a package built from source runs a compiler, maybe nvcc), how to reach an
// index (proxies, certificates), and the installers' own transport settings. Prefixes end
// in "_".
var installerEnvVars = []string{
	"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR", "LC_",
	"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "PYENV_", "SOURCE_DATE_EPOCH",
	"CC", "CXX", "CPP", "FC", "AR", "LD", "NM", "RANLIB", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS",
	"LD_LIBRARY_PATH", "LIBRARY_PATH", "CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "PKG_CONFIG_PATH",
	"MAKEFLAGS", "MAX_JOBS", "CMAKE_", "NINJA_", "CUDA_", "CUDACXX", "CUDAHOSTCXX", "NVCC_", "TORCH_CUDA_ARCH_LIST",
	"http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NIX_SSL_CERT_FILE",
	"PIP_", "UV_",
}

func installerEnvVar(k string) bool {
	for _, v := range installerEnvVars {
		if k == v || strings.HasSuffix(v, "_") && strings.HasPrefix(k, v) {
			return true
		}
	}
	return false
}

var keptInstallerVars = map[string]bool{
	"PIP_CERT": true, "PIP_CLIENT_CERT": true, "PIP_PROXY": true, "PIP_TRUSTED_HOST": true,
	"PIP_DEFAULT_TIMEOUT": true, "PIP_TIMEOUT": true, "PIP_RETRIES": true,
	"PIP_CACHE_DIR": true, "PIP_NO_CACHE_DIR": true,
	"UV_CACHE_DIR": true, "UV_NO_CACHE": true, "UV_HTTP_TIMEOUT": true, "UV_NATIVE_TLS": true,
	"UV_CONCURRENT_DOWNLOADS": true, "UV_CONCURRENT_BUILDS": true, "UV_CONCURRENT_INSTALLS": true,
	"UV_LINK_MODE": true, "UV_INSECURE_HOST": true, "UV_OFFLINE": true,
}

// step runs one installer command, logging the command line and its output.
type step struct {
	ctx     context.Context
	log     io.Writer
	env     []string
	mask    []string // the declared secrets' values, masked in the log
	dir     string   // working directory
	timeout time.Duration
	runs    int // installer commands run (venv included), for the build summary
}

// stepError is an installer command that failed. Output is its tail, for the message.
type stepError struct {
	What      string
	Output    string
	Transient bool
	Canceled  bool
}

func (e *stepError) Error() string { return e.What }

// run runs an installer command (or venv), counting it.
func (s *step) run(what, path string, args ...string) ([]byte, error) {
	s.runs++
	return s.exec(what, path, args...)
}

// exec runs any command of the build: an installer, or the environment's interpreter.
func (s *step) exec(what, path string, args ...string) ([]byte, error) {
	fmt.Fprintf(s.log, "$ %s %s\n", path, strings.Join(args, " "))
	// A package's build script is untrusted code. The sandbox keeps the machine's files and
	// network in view (caches, sources and indexes are wherever the user keeps them) but
	// gives it a PID namespace of its own: it cannot read isobench's environment through
	// /proc, and nothing it starts outlives the command or a killed isobench.
	res, err := engine.RunCommand(s.ctx, engine.Command{Path: path, Args: args, Dir: s.dir, Env: s.env,
		Timeout: s.timeout, Log: s.log, Mask: s.mask, Sandbox: &engine.Sandbox{HostFiles: true, Network: true}})
	if err != nil {
		return nil, &stepError{What: fmt.Sprintf("%s could not start: %s", what, err)}
	}
	fmt.Fprintf(s.log, "(%s: exit status %d after %.1fs)\n", what, res.ExitCode, res.Duration.Seconds())
	switch {
	case res.Canceled:
		return nil, &stepError{What: what + " was cancelled", Canceled: true, Transient: true}
	case res.TimedOut:
		return nil, &stepError{What: fmt.Sprintf("%s did not finish in %s", what, s.timeout), Output: tail(res.Output())}
	case res.ExitCode != 0:
		out := res.Output()
		return nil, &stepError{What: fmt.Sprintf("%s failed with exit status %d", what, res.ExitCode), Output: tail(out),
			Transient: networkFailure.Match(out)}
	}
	return res.Stdout, nil
}

// networkFailure recognizes an installer that failed because an index or a download could
// not be reached, rather than because the packages cannot be installed together: pip's and
// uv's wording for connection errors, DNS failures, timeouts and 5xx answers. Such a failure
// is transient: the next build tries again.
var networkFailure = regexp.MustCompile(`(?i)(Max retries exceeded|NewConnectionError|ConnectionError|Connection refused|` +
	`Temporary failure in name resolution|Name or service not known|Read timed out|ReadTimeoutError|` +
	`No route to host|Network is unreachable|Connection reset by peer|IncompleteRead|` +
	`HTTP status code 5\d\d|status code: 5\d\d|HTTP error 5\d\d|5\d\d Server Error|` +
	`error sending request|dns error|operation timed out|Failed to fetch|Request failed after \d+ retr)`)

func tail(out []byte) string {
	const max = 2000
	s := strings.TrimSpace(string(out))
	if len(s) > max {
		s = "..." + s[len(s)-max:]
	}
	return s
}

// createVenv makes an empty environment at dir with the spec's interpreter.
func (i *installer) createVenv(s *step, py *pythonInfo, dir string) error {
	var err error
	switch {
	case i.Name == InstallerUV:
		// --allow-existing: the store has made the (empty) directory already.
		_, err = s.run("uv venv", i.Exe, "venv", "--quiet", "--allow-existing", "--python", py.Exe, dir)
	case i.Seeded:
		_, err = s.run("python -m venv", py.Exe, "-m", "venv", dir)
	default:
		_, err = s.run("python -m venv", py.Exe, "-m", "venv", "--without-pip", dir)
	}
	return err
}

// installArgs are the options that say where packages come from, shared by every install
// command of a spec.
func (sp *spec) installArgs(i *installer, log io.Writer) []string {
	var args []string
	if sp.indexURL != "" {
		args = append(args, "--index-url", sp.indexURL)
	}
	for _, u := range sp.extraURLs {
		args = append(args, "--extra-index-url", u)
	}
	if sp.TorchBackend != "" {
		if i.Name == InstallerUV {
			args = append(args, "--torch-backend", sp.TorchBackend)
		} else {
			fmt.Fprintf(log, "note: torch_backend = %q is a uv option; pip installs PyTorch from the indexes given.\n", sp.TorchBackend)
		}
	}
	for _, c := range sp.cons {
		args = append(args, "-c", c.Path)
	}
	if !sp.asOf.IsZero() { // asof.go; prepareBuild refuses a pip without the option
		if i.Name == InstallerUV {
			args = append(args, "--exclude-newer", asOfText(sp.asOf))
		} else {
			args = append(args, "--uploaded-prior-to", asOfText(sp.asOf))
		}
	}
	return args
}

// pipInstall runs the installer's `install` with args into the environment at dir.
func (i *installer) install(s *step, dir string, args []string) error {
	py := artifact.PythonIn(dir)
	var err error
	switch {
	case i.Name == InstallerUV:
		_, err = s.run("uv pip install", i.Exe, append([]string{"pip", "install", "--python", py}, args...)...)
	case i.Seeded:
		_, err = s.run("pip install", py, append([]string{"-m", "pip", "install", "--no-input", "--progress-bar", "off"}, args...)...)
	default:
		_, err = s.run("pip install", i.Exe, append([]string{"-m", "pip", "--python", py, "install", "--no-input", "--progress-bar", "off"}, args...)...)
	}
	return err
}

// freeze lists the installed distributions, as `pip freeze` prints them.
func (i *installer) freeze(s *step, dir string) (string, error) {
	py := artifact.PythonIn(dir)
	var out []byte
	var err error
	switch {
	case i.Name == InstallerUV:
		out, err = s.run("uv pip freeze", i.Exe, "pip", "freeze", "--python", py)
	case i.Seeded:
		out, err = s.run("pip freeze", py, "-m", "pip", "freeze")
	default:
		out, err = s.run("pip freeze", i.Exe, "-m", "pip", "--python", py, "freeze")
	}
	return string(out), err
}
