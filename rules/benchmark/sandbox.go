package benchmark

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// A test is untrusted code: each run is an engine.Sandbox (namespaces of its own, see
// engine/sandbox.go). It sees the system's directories, its environment and the action's
// files (the script, the commit's tree) read-only, and writes only its run directory: what a
// command writes into the commit's tree goes there too, through an overlay. It
// reaches loopback alone unless the benchmark says allow_network = true, and gets the user's
// variables named in secrets and no others.

// Isolation is what a benchmark declares about its runs' sandbox. Neither enters the key:
// secrets are not part of the work, and a test that needs the network says so in its record.
type Isolation struct {
	// Secrets name variables of isobench's environment passed to every run, masked in
	// whatever of the output is kept.
	Secrets []string
	// AllowNetwork shares the machine's network with the runs.
	AllowNetwork bool
}

// sandbox is the sandbox of one run of a side: runDir is its only writable directory.
func (s *sideSetup) sandbox(x *engine.Exec, runDir string) *engine.Sandbox {
	sb := &engine.Sandbox{ReadOnly: []string{x.TempDir}, Writable: append([]string{runDir}, s.cacheDirs...), Network: s.network}
	if s.tree != "" {
		// A command may write next to its sources (a results file, a build): its writes go to
		// its run directory, and the next run finds the commit's files as they were.
		sb.CopyOnWrite = map[string]string{s.tree: filepath.Join(runDir, "tree-changes")}
	}
	if s.envDir != "" {
		// The environment, and the interpreter its python links to (a uv or pyenv Python
		// under the user's home is not among the system's directories).
		sb.ReadOnly = append(sb.ReadOnly, s.envDir)
		if prefix := engine.InstallPrefix(artifact.PythonIn(s.envDir)); prefix != "" {
			sb.ReadOnly = append(sb.ReadOnly, prefix)
		}
	}
	if s.pythonPrefix != "" {
		sb.ReadOnly = append(sb.ReadOnly, s.pythonPrefix)
	}
	return sb
}

// recordIsolation states in the record how the runs were isolated, and in the log why not
// better when namespaces are not to be had.
func (r *runner) recordIsolation() {
	iso, why := engine.SandboxIsolation()
	r.rec.Isolation = string(iso)
	r.rec.AllowNetwork = r.m.cfg.Isolation.AllowNetwork
	if iso != engine.IsolationNamespaces {
		fmt.Fprintf(r.x.Log, "warning: the test runs without a sandbox (%s): it can see this machine's files, processes and network\n", why)
	}
	if _, _, unset := engine.SecretVars(r.m.cfg.Isolation.Secrets); len(unset) > 0 {
		fmt.Fprintf(r.x.Log, "warning: secrets not set in isobench's environment, so not passed: %v\n", unset)
	}
}

// BuildDone implements engine.BuildObserver. A build whose tests ran without a sandbox says
// so once, however many measurements it took (each record and log says so too): the
// command prints what it returns as a warning.
func (Kind) BuildDone(b *engine.FinishedBuild) error {
	n, why := 0, ""
	for a, v := range b.Visits {
		if a.Mnemonic != "measure" || v.Outcome == nil || v.Outcome.Cached {
			continue
		}
		var rec struct {
			Isolation string `json:"isolation"`
		}
		if json.Unmarshal(recordJSON(v.Outcome, b.Store), &rec) != nil || rec.Isolation == "" || rec.Isolation == string(engine.IsolationNamespaces) {
			continue
		}
		n++
	}
	if n == 0 {
		return nil
	}
	if iso, reason := engine.SandboxIsolation(); iso != engine.IsolationNamespaces {
		why = " (" + reason + ")"
	}
	return fmt.Errorf("%d measurement%s ran tests without a sandbox%s: they could see this machine's files, processes and network; their records say isolation %q",
		n, plural(n), why, engine.IsolationProcessGroup)
}

var _ engine.BuildObserver = Kind{}
