package artifact

// EnvironmentOutput is the output name of an environment action.
const EnvironmentOutput = "environment"

// Environment describes a built Python environment. It holds no absolute path: the directory is
// found from StoreKey in the user's env store (envstore.Path), so the digest is the same on
// every machine that builds the same environment.
type Environment struct {
	StoreKey      string            `json:"store_key"`      // directory name in the env store
	Side          Side              `json:"side"`           // which side it was built for
	Commit        string            `json:"commit"`         // full SHA
	PythonVersion string            `json:"python_version"` // exact, e.g. "3.11.7"
	Installer     string            `json:"installer"`      // "uv 0.9.2" or "pip 23.2.1"
	Env           map[string]string `json:"env,omitempty"`  // variables for running tests in it
	// PythonPath lists directories, relative to the environment directory, put on PYTHONPATH
	// (install = "pythonpath" places the commit's source tree there).
	PythonPath []string `json:"python_path,omitempty"`
	// Lock is the `pip freeze` of the environment; LockDigest its SHA-256.
	Lock       string `json:"lock"`
	LockDigest string `json:"lock_digest"`
	// Resolved lists the exact distributions resolved before installing (URL and sha256).
	Resolved []ResolvedFile `json:"resolved,omitempty"`
	Source   bool           `json:"source,omitempty"` // installed from the commit's source tree
}

// ResolvedFile is a wheel or sdist found on an index.
type ResolvedFile struct {
	Package string `json:"package"`
	Version string `json:"version,omitempty"`
	URL     string `json:"url"`
	SHA256  string `json:"sha256"`
}
