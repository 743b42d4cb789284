package environment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/artifact"
)

// After installing, the environment must be the one the key describes: every resolved
// package installed from the file the preflight chose (an installer that quietly took another
// version from another index would make the environment a different commit's), and the check
// passing. The installer's own hash checking covers the download; this covers the choice.

// errMismatch marks an environment whose installed distributions are not the resolved ones.
var errMismatch = errors.New("installed distribution differs from the resolved one")

// verifyScript prints, for each distribution named in argv[1], its version and its
// direct_url.json (PEP 610), which pip and uv write for a package installed from a URL.
const verifyScript = `import json, sys
from importlib import metadata
out = {}
for name in json.loads(sys.argv[1]):
    try:
        d = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        out[name] = None
        continue
    raw = d.read_text("direct_url.json")
    out[name] = {"version": d.version, "direct_url": json.loads(raw) if raw else None}
print(json.dumps(out))
`

type installedDist struct {
	Version   string `json:"version"`
	DirectURL *struct {
		URL         string `json:"url"`
		ArchiveInfo *struct {
			Hash   string            `json:"hash"`
			Hashes map[string]string `json:"hashes"`
		} `json:"archive_info"`
	} `json:"direct_url"`
}

// verify checks the resolved files, and for a source install that the project is there. It
// returns the verified distributions and their versions.
func (b *build) verify(st *step, x *engine.Exec, dir string) (map[string]string, error) {
	var names []string
	for _, f := range b.res.Files {
		names = append(names, f.Package)
	}
	if b.mode == InstallSource && b.project != "" {
		names = append(names, b.project)
	}
	if len(names) == 0 {
		return nil, nil
	}
	arg, _ := json.Marshal(names)
	// -I: only the environment's own site-packages, whatever the caller's PYTHONPATH says.
	out, err := st.exec("checking the installed distributions", artifact.PythonIn(dir), "-I", "-c", verifyScript, string(arg))
	if err != nil {
		return nil, err
	}
	var got map[string]*installedDist
	if err := json.Unmarshal(out, &got); err != nil {
		return nil, fmt.Errorf("the environment's Python answered the verification with %q", lastLine(out))
	}
	installed := map[string]string{}
	for _, f := range b.res.Files {
		d := got[f.Package]
		if d == nil {
			return nil, fmt.Errorf("%w: %s was resolved to %s, but is not installed", errMismatch, f.Package, f.URL)
		}
		if f.Version != "" && !sameVersion(d.Version, f.Version) {
			return nil, fmt.Errorf("%w: %s %s is installed, but %s was resolved (%s)", errMismatch, f.Package, d.Version, f.Version, f.URL)
		}
		if du := d.DirectURL; du != nil && du.URL != "" {
			if !sameURL(du.URL, f.URL) {
				return nil, fmt.Errorf("%w: %s was installed from %s, not from the resolved %s", errMismatch, f.Package, du.URL, f.URL)
			}
			if ai := du.ArchiveInfo; ai != nil && f.SHA256 != "" {
				h := ai.Hashes["sha256"]
				if h == "" {
					h, _ = strings.CutPrefix(ai.Hash, "sha256=")
				}
				if h != "" && !strings.EqualFold(h, f.SHA256) {
					return nil, fmt.Errorf("%w: %s was installed from a file with sha256 %s, not the resolved %s", errMismatch, f.Package, h, f.SHA256)
				}
			}
		}
		installed[f.Package] = d.Version
		fmt.Fprintf(x.Log, "verified %s %s\n", f.Package, d.Version)
	}
	if b.mode == InstallSource && b.project != "" {
		d := got[b.project]
		if d == nil {
			return nil, fmt.Errorf("%w: the source install of %s left no distribution named %s (set project to the name it installs)", errMismatch, b.sha, b.project)
		}
		installed[b.project] = d.Version
		fmt.Fprintf(x.Log, "verified %s %s from source\n", b.project, d.Version)
	}
	return installed, nil
}

// sameURL compares the URL an installer recorded with the resolved one, ignoring a hash
// fragment and the escaping of the path ("%2B" or "+" in a local version).
func sameURL(a, b string) bool {
	norm := func(s string) string {
		s, _, _ = strings.Cut(s, "#")
		if u, err := url.PathUnescape(s); err == nil {
			return u
		}
		return s
	}
	return norm(a) == norm(b)
}

func sameVersion(a, b string) bool {
	va, errA := parseVersion(a)
	vb, errB := parseVersion(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return va.compare(vb) == 0
}

// check runs the target's check snippet with the environment's interpreter, in a minimal
// environment as a test would run (the code it imports is the commit's, so untrusted). It
// returns nil when there is no check or it passed.
func (b *build) runCheck(ctx context.Context, x *engine.Exec, dir string, rec *envRecord) *engine.Result {
	if b.check == "" {
		return nil
	}
	env := artifact.Environment{Env: b.env, PythonPath: rec.PythonPath}
	vars := env.Vars(dir)
	vars["PATH"] = artifact.BinIn(dir) + string(os.PathListSeparator) + os.Getenv("PATH")
	fmt.Fprintf(x.Log, "$ python -c %q\n", b.check)
	res, err := engine.RunCommand(ctx, engine.Command{Path: artifact.PythonIn(dir), Args: []string{"-c", b.check},
		Dir: x.TempDir, Env: engine.MinimalEnv(x.TempDir, vars), Timeout: checkTimeout, Log: x.Log,
		// The code it imports is the commit's: the check runs sandboxed like a test, with
		// the environment and its interpreter read-only.
		Sandbox: &engine.Sandbox{ReadOnly: []string{dir, engine.InstallPrefix(artifact.PythonIn(dir))}, Writable: []string{x.TempDir}}})
	switch {
	case err != nil:
		return engine.Failed("check_failed", "The environment's Python could not start for the check: %s.", err)
	case res.Canceled:
		return engine.Transient("cancelled", "The check was cancelled.")
	case res.TimedOut:
		return engine.Failed("check_failed", "The check %q did not finish in %s.", b.check, checkTimeout)
	case res.ExitCode != 0:
		return engine.Failed("check_failed", "The check %q failed with exit status %d: %s.", b.check, res.ExitCode,
			strings.TrimSuffix(lastLine(res.Output()), "."))
	}
	return nil
}
