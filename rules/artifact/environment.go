package artifact

import (
	"path/filepath"
	"strings"
)

// EnvironmentOutput is the output name of an environment action.
const EnvironmentOutput = "environment"

// Environment describes a built Python environment. It holds no absolute path: the directory is
// found from StoreKey in the user's env store (EnvDir), so the digest is the same on every
// machine that builds the same environment.
type Environment struct {
	StoreKey      string            `json:"store_key"`      // directory name in the env store
	Side          Side              `json:"side"`           // which side it was built for
	Commit        string            `json:"commit"`         // full SHA
	PythonVersion string            `json:"python_version"` // exact, e.g. "3.11.7"
	Installer     string            `json:"installer"`      // "uv 0.9.2" or "pip 23.2.1"
	Env           map[string]string `json:"env,omitempty"`  // variables for running tests in it
	// CacheDirs maps variables (HF_HOME, TRITON_CACHE_DIR) to directories, relative to the
	// user's cache (CacheDir), that every run in the environment shares and may write: model
	// weights and compiled kernels are fetched and built once, not per run.
	CacheDirs map[string]string `json:"cache_dirs,omitempty"`
	// PythonPath lists directories, relative to the environment directory, put on PYTHONPATH
	// (install = "pythonpath" places the commit's source tree there).
	PythonPath []string `json:"python_path,omitempty"`
	// Lock is the `pip freeze` of the environment; LockDigest its SHA-256.
	Lock       string `json:"lock"`
	LockDigest string `json:"lock_digest"`
	// Resolved lists the exact distributions resolved before installing (URL and sha256).
	Resolved []ResolvedFile `json:"resolved,omitempty"`
	Source   bool           `json:"source,omitempty"` // installed from the commit's source tree
	// Installed maps the resolved distributions (and the project, for a source install) to
	// the versions found installed: the record's "installed versions".
	Installed map[string]string `json:"installed,omitempty"`
	// Spec is what the environment was asked for, for the record: indexes, packages, pins.
	Spec *EnvironmentSpec `json:"spec,omitempty"`
	// Platform is the most specific wheel platform tag of the interpreter, such as
	// "manylinux_2_35_x86_64": with PythonVersion, what decides which wheels fit.
	Platform string `json:"platform,omitempty"`
}

// EnvDir is the directory of the environment with the given store key in the per-user env
// store, which every workspace of the user shares.
func EnvDir(userCache, storeKey string) string {
	return filepath.Join(userCache, "envs", storeKey)
}

// EnvCacheDir is where the cache directory rel of an environment (Environment.CacheDirs)
// lives in the per-user cache.
func EnvCacheDir(userCache, rel string) string {
	return filepath.Join(userCache, filepath.FromSlash(rel))
}

// PythonIn is the interpreter of the environment at dir.
func PythonIn(dir string) string { return filepath.Join(dir, "bin", "python") }

// BinIn is the directory of the environment's scripts, to put first on PATH.
func BinIn(dir string) string { return filepath.Join(dir, "bin") }

// Vars are the variables a process running in the environment at dir needs besides PATH:
// the declared env, VIRTUAL_ENV, and PYTHONPATH when the commit's source is used in place
// (entries of PythonPath first, then any PYTHONPATH the declared env gives).
func (e *Environment) Vars(dir string) map[string]string {
	vars := map[string]string{}
	for k, v := range e.Env {
		vars[k] = v
	}
	vars["VIRTUAL_ENV"] = dir
	if len(e.PythonPath) > 0 {
		var paths []string
		for _, p := range e.PythonPath {
			paths = append(paths, filepath.Join(dir, filepath.FromSlash(p)))
		}
		if extra := e.Env["PYTHONPATH"]; extra != "" {
			paths = append(paths, extra)
		}
		vars["PYTHONPATH"] = strings.Join(paths, string(filepath.ListSeparator))
	}
	return vars
}

// ResolvedFile is a wheel or sdist found on an index, or a wheel found at a direct URL.
type ResolvedFile struct {
	Package string `json:"package"`
	Version string `json:"version,omitempty"` // "" for a direct URL, whose file name may not tell it
	URL     string `json:"url"`
	SHA256  string `json:"sha256"`
	// Direct marks a wheel found at a declared URL rather than on an index page (vLLM's
	// commits of late 2024 are uploaded as vllm-1.0.0.dev-...whl whatever their version).
	Direct bool `json:"direct,omitempty"`
}

// EnvironmentSpec is an environment's declared inputs for one side, as evaluated: what a
// researcher needs to build the same environment without isobench.
type EnvironmentSpec struct {
	IndexURL      string   `json:"index_url,omitempty"`
	ExtraIndexURL []string `json:"extra_index_url,omitempty"`
	WheelURL      []string `json:"wheel_url,omitempty"`
	Packages      []string `json:"packages,omitempty"`
	TorchBackend  string   `json:"torch_backend,omitempty"`
	ResolveAsOf   string   `json:"resolve_as_of,omitempty"` // RFC 3339, UTC
	Install       string   `json:"install,omitempty"`
}
